use crate::dual;
use crate::ff::*;
use crate::helpers::*;
