use crate::dual;
use crate::helpers::*;
