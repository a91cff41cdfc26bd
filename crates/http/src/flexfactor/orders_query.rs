//! The query string of `GET /v1/orders`, read by hand rather than by a serde struct: the
//! vendor's `status` filter is a list that clients send repeated (`status=5&status=2`) or as
//! one comma list (`status=5,2`, encoded `5%2C2`), which a struct of single fields refuses as a
//! duplicate. Names are matched without regard to case, like every FlexFactor name
//! (Decision 1), and values are percent-decoded before they are checked, so a message quotes
//! what the client meant, not its encoding.

use super::body::Errors;
use super::request::{Read, utc_time};
use super::validation;
use openflex_engine::flexfactor::OrderSearch;

/// The parameters as sent, decoded; `statuses` holds every `status` value in order.
#[derive(Debug, Default)]
struct Params {
    query: Option<String>,
    statuses: Vec<String>,
    from: Option<String>,
    to: Option<String>,
    order_by: Option<String>,
    sort: Option<String>,
    page_size: Option<String>,
    page_number: Option<String>,
}

impl Params {
    /// Reads `raw`. Unknown names are ignored (as the vendor's ASP.NET binding does); a
    /// single-valued parameter given twice is refused, naming it, since either reading would be
    /// a guess.
    fn read(raw: Option<&str>, errors: &mut Errors) -> Self {
        let mut p = Self::default();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let (slot, field) = match name.to_ascii_lowercase().as_str() {
                "status" => {
                    p.statuses.push(value.into_owned());
                    continue;
                }
                "query" => (&mut p.query, "Query"),
                "from" => (&mut p.from, "From"),
                "to" => (&mut p.to, "To"),
                "orderby" => (&mut p.order_by, "OrderBy"),
                "sort" => (&mut p.sort, "Sort"),
                "pagesize" => (&mut p.page_size, "PageSize"),
                "pagenumber" => (&mut p.page_number, "PageNumber"),
                _ => continue,
            };
            if slot.is_some() {
                errors.add(
                    field,
                    format!("The field {field} must be given at most once."),
                );
            } else {
                *slot = Some(value.into_owned());
            }
        }
        p
    }
}

/// One page of orders asked for.
pub struct OrdersPage {
    pub query: OrderSearch,
    pub page_number: i64,
    pub page_size: i64,
}

/// The order search of `GET /v1/orders` from its raw query string.
pub fn orders(raw: Option<&str>) -> Read<OrdersPage> {
    let mut errors = Errors::default();
    let q = Params::read(raw, &mut errors);
    let statuses = statuses(&q.statuses, &mut errors);
    let mut time_bound = |text: &Option<String>, name: &str| {
        let t = text.as_deref().filter(|t| !t.is_empty())?;
        let at = utc_time(t)
            .or_else(|| crate::flexpay::binding::parse_date(t).map(|d| d.midnight().assume_utc()));
        if at.is_none() {
            errors.add(name, format!("The value '{t}' is not a valid date-time."));
        }
        at
    };
    let from = time_bound(&q.from, "From");
    let to = time_bound(&q.to, "To");
    let int = |text: &Option<String>, default: i64| {
        text.as_deref()
            .map(|t| t.trim().parse::<i64>())
            .unwrap_or(Ok(default))
    };
    let page_size = match int(&q.page_size, 10) {
        Ok(n) if n >= 1 => n.min(100),
        _ => {
            errors.add("PageSize", "The field PageSize must be a positive integer.");
            10
        }
    };
    let page_number = match int(&q.page_number, 1) {
        Ok(n) if n >= 1 => n,
        _ => {
            errors.add(
                "PageNumber",
                "The field PageNumber must be a positive integer.",
            );
            1
        }
    };
    let by_amount = match q
        .order_by
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("createdon") | Some("createdat") | Some("orderplaceddate") => false,
        Some("amount") => true,
        Some(_) => {
            errors.add("OrderBy", "The field OrderBy must be createdOn or amount.");
            false
        }
    };
    let descending = match q.sort.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            errors.add("Sort", "The field Sort must be asc or desc.");
            true
        }
    };
    if !errors.is_empty() {
        return Err(Box::new(validation(errors)));
    }
    let query = OrderSearch {
        statuses,
        created_from: from,
        created_until: to,
        text: q
            .query
            .filter(|t| !t.trim().is_empty())
            .map(|t| crate::nfc(&t)),
        by_amount,
        descending,
        offset: (page_number - 1).saturating_mul(page_size),
        limit: page_size,
        ..OrderSearch::default()
    };
    Ok(OrdersPage {
        query,
        page_number,
        page_size,
    })
}

/// `status` filters, each a number 0–7 or a comma list of them; sorted, without repeats.
fn statuses(values: &[String], errors: &mut Errors) -> Vec<i64> {
    let mut statuses = Vec::new();
    for part in values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.parse::<i64>() {
            Ok(n) if (0..=7).contains(&n) => statuses.push(n),
            _ => errors.add(
                "Status",
                format!("The value '{part}' is not a valid status (0–7)."),
            ),
        }
    }
    statuses.sort();
    statuses.dedup();
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> (Params, Vec<(String, Vec<String>)>) {
        let mut errors = Errors::default();
        let p = Params::read(Some(raw), &mut errors);
        (p, errors.0.into_iter().collect())
    }

    fn statuses_of(raw: &str) -> Result<Vec<i64>, Vec<String>> {
        let mut errors = Errors::default();
        let p = Params::read(Some(raw), &mut errors);
        let s = statuses(&p.statuses, &mut errors);
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors.0.into_values().flatten().collect())
        }
    }

    #[test]
    fn status_repeats_or_comes_as_a_comma_list() {
        assert_eq!(statuses_of("status=5&status=2"), Ok(vec![2, 5]));
        assert_eq!(statuses_of("status=5%2C2"), Ok(vec![2, 5]));
        assert_eq!(
            statuses_of("status=5,2&Status=7&STATUS=5"),
            Ok(vec![2, 5, 7])
        );
        assert_eq!(statuses_of("status=&pageSize=3"), Ok(vec![]));
    }

    #[test]
    fn a_bad_status_is_quoted_decoded() {
        assert_eq!(
            statuses_of("status=5%3B2"),
            Err(vec![
                "The value '5;2' is not a valid status (0–7).".to_string()
            ])
        );
        assert_eq!(
            statuses_of("status=2%2C9"),
            Err(vec![
                "The value '9' is not a valid status (0–7).".to_string()
            ])
        );
    }

    #[test]
    fn names_ignore_case_and_unknown_names_are_ignored() {
        let (p, errors) = read("PageSize=5&pagenumber=2&MID=x&query=a%20b+c");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(p.page_size.as_deref(), Some("5"));
        assert_eq!(p.page_number.as_deref(), Some("2"));
        assert_eq!(p.query.as_deref(), Some("a b c"));
    }

    #[test]
    fn a_single_valued_parameter_given_twice_is_named() {
        let (_, errors) = read("pageSize=5&pageSize=6");
        assert_eq!(
            errors,
            vec![(
                "PageSize".to_string(),
                vec!["The field PageSize must be given at most once.".to_string()]
            )]
        );
    }
}
