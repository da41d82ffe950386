//! The churn model: the customer record each Kinesis record carries, the logistic regression
//! that `model.json` describes, and the score. No I/O here, so tests call it directly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::float;

/// One customer, as a Kinesis record's data carries it. Extra fields are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub customer_id: String,
    pub tenure_months: u32,
    pub monthly_charges: f64,
    pub total_charges: f64,
    pub contract: Contract,
    pub payment_method: PaymentMethod,
    pub internet_service: InternetService,
    /// Support calls in the last 90 days.
    pub support_calls: u32,
    /// Add-on services subscribed, at least 1.
    pub num_services: u32,
    pub senior_citizen: bool,
    pub paperless_billing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contract {
    MonthToMonth,
    OneYear,
    TwoYear,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentMethod {
    ElectronicCheck,
    MailedCheck,
    BankTransfer,
    CreditCard,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InternetService {
    FiberOptic,
    Dsl,
    None,
}

impl Customer {
    /// Parses and checks one record's data, such as
    /// `{"customer_id": "C-000042", "tenure_months": 14, "contract": "month-to-month", ...}`.
    pub fn from_json(data: &[u8]) -> Result<Self, InvalidRecord> {
        // Field by field rather than a derived `Deserialize`, so that every error names its field.
        let value: Value = serde_json::from_slice(data)
            .map_err(|error| InvalidRecord(format!("not JSON: {error}")))?;
        let Value::Object(fields) = value else {
            return Err(InvalidRecord("not a JSON object".into()));
        };
        let customer = Self {
            customer_id: field(&fields, "customer_id")?,
            tenure_months: count(&fields, "tenure_months")?,
            monthly_charges: field(&fields, "monthly_charges")?,
            total_charges: field(&fields, "total_charges")?,
            contract: field(&fields, "contract")?,
            payment_method: field(&fields, "payment_method")?,
            internet_service: field(&fields, "internet_service")?,
            support_calls: count(&fields, "support_calls")?,
            num_services: count(&fields, "num_services")?,
            senior_citizen: field(&fields, "senior_citizen")?,
            paperless_billing: field(&fields, "paperless_billing")?,
        };
        // What the types can't say.
        if customer.customer_id.is_empty() {
            return Err(InvalidRecord(
                "field `customer_id` must not be empty".into(),
            ));
        }
        for (name, amount) in [
            ("monthly_charges", customer.monthly_charges),
            ("total_charges", customer.total_charges),
        ] {
            if amount < 0.0 {
                return Err(InvalidRecord(format!(
                    "field `{name}` must be >= 0, not {amount}"
                )));
            }
        }
        if customer.num_services == 0 {
            return Err(InvalidRecord(
                "field `num_services` must be >= 1, not 0".into(),
            ));
        }
        Ok(customer)
    }
}

/// Reads one field with serde, naming the field in the error.
fn field<'a, T: Deserialize<'a>>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<T, InvalidRecord> {
    let value = fields
        .get(name)
        .ok_or_else(|| InvalidRecord(format!("missing field `{name}`")))?;
    T::deserialize(value).map_err(|error| InvalidRecord(format!("field `{name}`: {error}")))
}

/// A count: a whole number >= 0, written `14` or `14.0`, which producers in JavaScript and
/// Python may send alike (and the Node.js and Python twins accept alike).
fn count(fields: &Map<String, Value>, name: &str) -> Result<u32, InvalidRecord> {
    let number: f64 = field(fields, name)?;
    if number.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&number) {
        return Err(InvalidRecord(format!(
            "field `{name}` must be a whole number >= 0, not {number}"
        )));
    }
    Ok(number as u32)
}

/// Why a record's data is not a [`Customer`]; the handler logs it with the sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidRecord(String);

impl std::fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidRecord {}

// The features a model may use: each names a record field and says how to read it. Adding a
// field to `Customer` and a row here is all a new feature needs.

/// Reads one feature of a record.
type Read<T> = fn(&Customer) -> T;

const NUMERIC: [(&str, Read<f64>); 5] = [
    ("tenure_months", |c| c.tenure_months.into()),
    ("monthly_charges", |c| c.monthly_charges),
    ("total_charges", |c| c.total_charges),
    ("support_calls", |c| c.support_calls.into()),
    ("num_services", |c| c.num_services.into()),
];

const BOOLEAN: [(&str, Read<bool>); 2] = [
    ("senior_citizen", |c| c.senior_citizen),
    ("paperless_billing", |c| c.paperless_billing),
];

const CATEGORICAL: [(&str, Levels); 3] = [
    (
        "contract",
        Levels {
            names: &["month-to-month", "one-year", "two-year"],
            of: |c| c.contract as usize,
        },
    ),
    (
        "payment_method",
        Levels {
            names: &[
                "electronic-check",
                "mailed-check",
                "bank-transfer",
                "credit-card",
            ],
            of: |c| c.payment_method as usize,
        },
    ),
    (
        "internet_service",
        Levels {
            names: &["fiber-optic", "dsl", "none"],
            of: |c| c.internet_service as usize,
        },
    ),
];

/// A categorical feature's levels, in the order of its enum's variants, and a record's level.
#[derive(Clone, Copy)]
struct Levels {
    names: &'static [&'static str],
    of: Read<usize>,
}

/// `model.json` as the training script writes it. `model` and `training` are informational.
#[derive(Deserialize)]
struct ModelFile {
    version: String,
    threshold: f64,
    intercept: f64,
    numeric: Vec<NumericTerm>,
    boolean: Vec<BooleanTerm>,
    categorical: Vec<CategoricalTerm>,
}

#[derive(Deserialize)]
struct NumericTerm {
    feature: String,
    mean: f64,
    std: f64,
    weight: f64,
}

#[derive(Deserialize)]
struct BooleanTerm {
    feature: String,
    weight: f64,
}

#[derive(Deserialize)]
struct CategoricalTerm {
    feature: String,
    weights: BTreeMap<String, f64>,
}

/// A checked logistic-regression model, its features resolved to the record's fields.
pub struct Model {
    version: String,
    threshold: f64,
    intercept: f64,
    numeric: Vec<(Read<f64>, NumericTerm)>,
    boolean: Vec<(Read<bool>, f64)>,
    /// How to read the level, and the weight of each level by its index.
    categorical: Vec<(Read<usize>, Vec<f64>)>,
}

impl Model {
    /// Parses and checks `model.json`: a model that fails here would score every record wrongly.
    pub fn from_json(json: &str) -> Result<Self, InvalidModel> {
        // serde_json refuses numbers beyond f64's range (1e999), and JSON has no NaN or
        // infinity, so every number that parses is finite.
        let file: ModelFile =
            serde_json::from_str(json).map_err(|error| InvalidModel(error.to_string()))?;
        if file.version.is_empty() {
            return Err(InvalidModel("`version` must not be empty".into()));
        }
        if !(file.threshold > 0.0 && file.threshold < 1.0) {
            return Err(InvalidModel(format!(
                "`threshold` must be between 0 and 1 (exclusive), not {}",
                file.threshold
            )));
        }
        if let Some(term) = file.numeric.iter().find(|term| term.std <= 0.0) {
            return Err(InvalidModel(format!(
                "numeric feature `{}` has std {}: it must be > 0",
                term.feature, term.std
            )));
        }

        let numeric = resolve("numeric", &NUMERIC, file.numeric.iter().map(|t| &t.feature))?;
        let boolean = resolve("boolean", &BOOLEAN, file.boolean.iter().map(|t| &t.feature))?;
        let categorical = resolve(
            "categorical",
            &CATEGORICAL,
            file.categorical.iter().map(|t| &t.feature),
        )?;
        let categorical = categorical
            .into_iter()
            .zip(&file.categorical)
            .map(|(levels, term)| Ok((levels.of, level_weights(term, levels.names)?)))
            .collect::<Result<_, InvalidModel>>()?;

        Ok(Self {
            version: file.version,
            threshold: file.threshold,
            intercept: file.intercept,
            numeric: numeric.into_iter().zip(file.numeric).collect(),
            boolean: boolean
                .into_iter()
                .zip(file.boolean.iter().map(|term| term.weight))
                .collect(),
            categorical,
        })
    }

    /// The model's version, which every message carries.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The probability that `customer` churns, and the label it earns at the model's threshold.
    /// A record whose values are so large that the score overflows (`z` is infinite, or NaN as
    /// inf − inf) is invalid: its probability would say nothing about the customer.
    pub fn score(&self, customer: &Customer) -> Result<Prediction, InvalidRecord> {
        // The order of operations is the contract's, shared with the Node.js and Python
        // versions: floating-point sums in another order could differ in the last digits.
        let mut z = self.intercept;
        for (value, term) in &self.numeric {
            z += term.weight * ((value(customer) - term.mean) / term.std);
        }
        for (value, weight) in &self.boolean {
            if value(customer) {
                z += weight;
            }
        }
        for (level, weights) in &self.categorical {
            z += weights[level(customer)];
        }
        if !z.is_finite() {
            return Err(InvalidRecord(format!(
                "its score is {z}: a value is too large for the model"
            )));
        }
        // The contract's exp, not the platform's: the twins get the same bits.
        let probability = 1.0 / (1.0 + float::exp(-z));
        let label = if probability >= self.threshold {
            Label::Churn
        } else {
            Label::Stay
        };
        Ok(Prediction { probability, label })
    }
}

/// Pairs each feature the model lists, in file order, with the row of `features` it names.
/// The model must list every feature of the kind, each exactly once.
fn resolve<'a, T: Copy>(
    kind: &str,
    features: &[(&str, T)],
    listed: impl Iterator<Item = &'a String>,
) -> Result<Vec<T>, InvalidModel> {
    let listed: Vec<&str> = listed.map(String::as_str).collect();
    let rows = listed
        .iter()
        .map(|name| {
            features
                .iter()
                .find(|(feature, _)| feature == name)
                .map(|&(_, row)| row)
                .ok_or_else(|| {
                    InvalidModel(format!("`{name}` is not a {kind} field of the record"))
                })
        })
        .collect::<Result<_, _>>()?;
    for (feature, _) in features {
        match listed.iter().filter(|name| *name == feature).count() {
            1 => {}
            0 => {
                return Err(InvalidModel(format!(
                    "{kind} feature `{feature}` is missing"
                )));
            }
            _ => {
                return Err(InvalidModel(format!(
                    "{kind} feature `{feature}` is listed more than once"
                )));
            }
        }
    }
    Ok(rows)
}

/// A categorical feature's weights by level index; the model must list exactly its levels.
fn level_weights(term: &CategoricalTerm, levels: &[&str]) -> Result<Vec<f64>, InvalidModel> {
    let feature = &term.feature;
    if let Some(unknown) = term.weights.keys().find(|l| !levels.contains(&l.as_str())) {
        return Err(InvalidModel(format!(
            "categorical feature `{feature}` has an unknown level `{unknown}`"
        )));
    }
    levels
        .iter()
        .map(|level| {
            term.weights.get(*level).copied().ok_or_else(|| {
                InvalidModel(format!(
                    "categorical feature `{feature}` is missing the level `{level}`"
                ))
            })
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    pub probability: f64,
    pub label: Label,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Churn,
    Stay,
}

/// Why `model.json` can't be used; `main` returns it, which fails the init.
pub struct InvalidModel(String);

impl std::fmt::Display for InvalidModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model.json is invalid: {}", self.0)
    }
}

// `main` returns this error, and Rust prints a returned error with `Debug`: keep it readable.
impl std::fmt::Debug for InvalidModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for InvalidModel {}

/// A small, fixed model for tests, so that they don't change when the real one is retrained.
#[cfg(test)]
pub(crate) const TEST_MODEL: &str = r#"{
  "model": "churn-logistic-regression",
  "version": "test-1",
  "threshold": 0.5,
  "intercept": -1.2,
  "numeric": [
    {"feature": "tenure_months", "mean": 32.0, "std": 24.0, "weight": -0.9},
    {"feature": "monthly_charges", "mean": 65.0, "std": 30.0, "weight": 0.6},
    {"feature": "total_charges", "mean": 2300.0, "std": 2250.0, "weight": -0.3},
    {"feature": "support_calls", "mean": 1.5, "std": 1.2, "weight": 0.7},
    {"feature": "num_services", "mean": 4.0, "std": 2.0, "weight": -0.2}
  ],
  "boolean": [
    {"feature": "senior_citizen", "weight": 0.3},
    {"feature": "paperless_billing", "weight": 0.2}
  ],
  "categorical": [
    {"feature": "contract", "weights": {"month-to-month": 0.0, "one-year": -0.8, "two-year": -1.6}},
    {"feature": "payment_method", "weights": {"electronic-check": 0.5, "mailed-check": 0.0, "bank-transfer": -0.1, "credit-card": -0.1}},
    {"feature": "internet_service", "weights": {"fiber-optic": 0.6, "dsl": 0.0, "none": -0.5}}
  ],
  "training": {"seed": 7, "train_rows": 8000, "test_rows": 2000, "accuracy": 0.8, "auc": 0.85}
}"#;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CUSTOMER: &str = r#"{"customer_id": "C-000042", "tenure_months": 14,
        "monthly_charges": 79.85, "total_charges": 1117.9, "contract": "month-to-month",
        "payment_method": "electronic-check", "internet_service": "fiber-optic",
        "support_calls": 3, "num_services": 4, "senior_citizen": false, "paperless_billing": true}"#;

    /// `CUSTOMER` with one field replaced (or removed, with `None`).
    fn customer_with(name: &str, value: Option<Value>) -> Vec<u8> {
        let mut customer: Value = serde_json::from_str(CUSTOMER).unwrap();
        let fields = customer.as_object_mut().unwrap();
        match value {
            Some(value) => fields.insert(name.into(), value),
            None => fields.remove(name),
        };
        customer.to_string().into_bytes()
    }

    fn model_error(model: &str) -> String {
        match Model::from_json(model) {
            Ok(_) => panic!("the model was accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn the_shipped_model_is_valid() {
        let model = Model::from_json(include_str!("../model.json")).unwrap();
        assert!(!model.version().is_empty());
    }

    #[test]
    fn a_record_parses_into_a_customer() {
        let customer = Customer::from_json(&customer_with("extra", Some(json!("ignored"))));
        assert_eq!(
            customer.unwrap(),
            Customer {
                customer_id: "C-000042".into(),
                tenure_months: 14,
                monthly_charges: 79.85,
                total_charges: 1117.9,
                contract: Contract::MonthToMonth,
                payment_method: PaymentMethod::ElectronicCheck,
                internet_service: InternetService::FiberOptic,
                support_calls: 3,
                num_services: 4,
                senior_citizen: false,
                paperless_billing: true,
            }
        );
    }

    #[test]
    fn a_count_may_be_written_as_a_whole_float() {
        let customer = Customer::from_json(&customer_with("tenure_months", Some(json!(14.0))));
        assert_eq!(customer.unwrap().tenure_months, 14);
    }

    #[test]
    fn a_count_is_a_u32() {
        let largest = customer_with("support_calls", Some(json!(4_294_967_295_u64)));
        assert_eq!(
            Customer::from_json(&largest).unwrap().support_calls,
            u32::MAX
        );
        let beyond = customer_with("support_calls", Some(json!(4_294_967_296_u64)));
        assert_eq!(
            Customer::from_json(&beyond).unwrap_err().to_string(),
            "field `support_calls` must be a whole number >= 0, not 4294967296"
        );
    }

    #[test]
    fn only_utf_8_json_is_a_record() {
        let valid = customer_with("customer_id", Some(json!("C-é")));
        assert!(Customer::from_json(&valid).is_ok());
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), &valid].concat();
        let utf_16: Vec<u8> = String::from_utf8(valid.clone())
            .unwrap()
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let bad_byte = String::from_utf8(valid.clone())
            .unwrap()
            .replace('é', "\u{1}")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 1 { 0xff } else { b })
            .collect::<Vec<u8>>();
        let lone_surrogate = String::from_utf8(valid.clone())
            .unwrap()
            .replace("C-é", "C-\\ud800");
        for data in [with_bom, utf_16, bad_byte, lone_surrogate.into_bytes()] {
            let error = Customer::from_json(&data).unwrap_err();
            assert!(error.to_string().starts_with("not JSON: "), "{error}");
        }
    }

    #[test]
    fn numbers_are_read_to_the_nearest_f64() {
        // 17 and more significant digits: a fast parser may land one ulp off JavaScript's.
        let digits = "2.2250738585072011e-308";
        let data = String::from_utf8(customer_with("monthly_charges", Some(json!(0.0))))
            .unwrap()
            .replace(
                "\"monthly_charges\":0.0",
                &format!("\"monthly_charges\":{digits}"),
            );
        let customer = Customer::from_json(data.as_bytes()).unwrap();
        assert_eq!(customer.monthly_charges, digits.parse::<f64>().unwrap());
    }

    #[test]
    fn a_score_that_overflows_makes_the_record_invalid() {
        // Charges read in thousandths of a standard deviation: the terms can overflow.
        let tiny_std = TEST_MODEL
            .replace("\"std\": 30.0", "\"std\": 0.001")
            .replace("\"std\": 2250.0", "\"std\": 0.001");
        let model = Model::from_json(&tiny_std).unwrap();
        // +inf from monthly charges and -inf from total charges: z is NaN.
        let mut nan = Customer::from_json(CUSTOMER.as_bytes()).unwrap();
        nan.monthly_charges = 1.7e308;
        nan.total_charges = 1.7e308;
        let mut infinite = Customer::from_json(CUSTOMER.as_bytes()).unwrap();
        infinite.total_charges = 1.7e308;
        for (customer, z) in [(nan, "NaN"), (infinite, "-inf")] {
            let error = model.score(&customer).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("its score is {z}: a value is too large for the model")
            );
        }
        // Large but finite is a score: the probability is 0 or 1 exactly.
        let mut certain = Customer::from_json(CUSTOMER.as_bytes()).unwrap();
        certain.total_charges = 1e300;
        certain.monthly_charges = 1.0;
        assert_eq!(model.score(&certain).unwrap().probability, 0.0);
    }

    #[test]
    fn an_invalid_record_says_which_field_is_wrong() {
        let cases = [
            (
                customer_with("tenure_months", None),
                "missing field `tenure_months`",
            ),
            (
                customer_with("support_calls", Some(json!(-1))),
                "field `support_calls` must be a whole number >= 0, not -1",
            ),
            (
                customer_with("tenure_months", Some(json!(1.5))),
                "field `tenure_months` must be a whole number >= 0, not 1.5",
            ),
            (
                customer_with("monthly_charges", Some(json!(-0.5))),
                "field `monthly_charges` must be >= 0, not -0.5",
            ),
            (
                customer_with("total_charges", Some(json!("1117.9"))),
                "field `total_charges`: invalid type: string \"1117.9\", expected f64",
            ),
            (
                customer_with("contract", Some(json!("monthly"))),
                "field `contract`: unknown variant `monthly`, expected one of \
                 `month-to-month`, `one-year`, `two-year`",
            ),
            (
                customer_with("senior_citizen", Some(json!("no"))),
                "field `senior_citizen`: invalid type: string \"no\", expected a boolean",
            ),
            (
                customer_with("customer_id", Some(json!(""))),
                "field `customer_id` must not be empty",
            ),
            (
                customer_with("num_services", Some(json!(0))),
                "field `num_services` must be >= 1, not 0",
            ),
            (b"[1, 2]".to_vec(), "not a JSON object"),
        ];
        for (data, message) in cases {
            let error = Customer::from_json(&data).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
        let not_json = Customer::from_json(b"{ not json").unwrap_err();
        assert!(
            not_json
                .to_string()
                .starts_with("not JSON: key must be a string")
        );
    }

    #[test]
    fn the_level_tables_match_the_enums() {
        for (feature, levels) in CATEGORICAL {
            for (index, level) in levels.names.iter().enumerate() {
                let customer = Customer::from_json(&customer_with(feature, Some(json!(level))));
                assert_eq!(
                    (levels.of)(&customer.unwrap()),
                    index,
                    "{feature} = {level}"
                );
            }
        }
    }

    #[test]
    fn a_broken_model_fails_with_a_message_naming_the_problem() {
        type Break = fn(&mut Value);
        let cases: [(Break, &str); 11] = [
            (|m| m["version"] = json!(""), "`version` must not be empty"),
            (
                |m| drop(m.as_object_mut().unwrap().remove("version")),
                "missing field `version`",
            ),
            (
                |m| m["threshold"] = json!(1.0),
                "`threshold` must be between 0 and 1 (exclusive), not 1",
            ),
            (
                |m| m["threshold"] = json!(0),
                "`threshold` must be between 0 and 1 (exclusive), not 0",
            ),
            (
                |m| m["numeric"][3]["std"] = json!(0.0),
                "numeric feature `support_calls` has std 0: it must be > 0",
            ),
            (
                |m| drop(m["numeric"].as_array_mut().unwrap().pop()),
                "numeric feature `num_services` is missing",
            ),
            (
                |m| m["numeric"][4]["feature"] = json!("tenure_months"),
                "numeric feature `tenure_months` is listed more than once",
            ),
            (
                |m| m["boolean"][0]["feature"] = json!("tenure_months"),
                "`tenure_months` is not a boolean field of the record",
            ),
            (
                |m| {
                    drop(
                        m["categorical"][0]["weights"]
                            .as_object_mut()
                            .unwrap()
                            .remove("two-year"),
                    )
                },
                "categorical feature `contract` is missing the level `two-year`",
            ),
            (
                |m| m["categorical"][2]["weights"]["satellite"] = json!(0.1),
                "categorical feature `internet_service` has an unknown level `satellite`",
            ),
            (
                |m| m["intercept"] = json!("-1.2"),
                "invalid type: string \"-1.2\", expected f64",
            ),
        ];
        for (break_it, message) in cases {
            let mut model: Value = serde_json::from_str(TEST_MODEL).unwrap();
            break_it(&mut model);
            let error = model_error(&model.to_string());
            assert!(error.starts_with("model.json is invalid: "), "{error}");
            assert!(
                error.contains(message),
                "{error:?} should contain {message:?}"
            );
        }

        let infinite = TEST_MODEL.replace("\"intercept\": -1.2", "\"intercept\": 1e999");
        assert!(model_error(&infinite).contains("number out of range"));
        assert!(model_error("").contains("EOF while parsing"));
    }

    #[test]
    fn the_label_is_churn_from_the_threshold_up() {
        // All weights zero: z = 0, and the probability is exactly 0.5.
        let mut model: Value = serde_json::from_str(TEST_MODEL).unwrap();
        model["intercept"] = json!(0.0);
        for kind in ["numeric", "boolean"] {
            for term in model[kind].as_array_mut().unwrap() {
                term["weight"] = json!(0.0);
            }
        }
        for term in model["categorical"].as_array_mut().unwrap() {
            for weight in term["weights"].as_object_mut().unwrap().values_mut() {
                *weight = json!(0.0);
            }
        }
        let customer = Customer::from_json(CUSTOMER.as_bytes()).unwrap();

        let at_threshold = Model::from_json(&model.to_string()).unwrap();
        assert_eq!(
            at_threshold.score(&customer).unwrap(),
            Prediction {
                probability: 0.5,
                label: Label::Churn
            }
        );
        model["threshold"] = json!(0.6);
        let above = Model::from_json(&model.to_string()).unwrap();
        assert_eq!(above.score(&customer).unwrap().label, Label::Stay);
    }

    #[test]
    fn the_score_follows_the_contract() {
        let model = Model::from_json(TEST_MODEL).unwrap();
        let customer = Customer::from_json(CUSTOMER.as_bytes()).unwrap();
        // The contract's formula written out for this customer, term by term in file order.
        let mut z: f64 = -1.2;
        z += -0.9 * ((14.0 - 32.0) / 24.0);
        z += 0.6 * ((79.85 - 65.0) / 30.0);
        z += -0.3 * ((1117.9 - 2300.0) / 2250.0);
        z += 0.7 * ((3.0 - 1.5) / 1.2);
        z += -0.2 * ((4.0 - 4.0) / 2.0);
        z += 0.2; // paperless billing
        z += 0.0; // month-to-month
        z += 0.5; // electronic check
        z += 0.6; // fiber optic
        let probability = 1.0 / (1.0 + float::exp(-z));

        let prediction = model.score(&customer).unwrap();
        assert_eq!(
            prediction,
            Prediction {
                probability,
                label: Label::Churn
            }
        );
    }
}
