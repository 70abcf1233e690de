//! The configuration contract: parse (YAML or JSON), validate every rule at once, produce the model.

pub mod model;
