//! The topology: its file format, loading with profiles, and resolution of
//! phases, resource profiles and storage classes into concrete values.

pub mod load;
pub mod model;
pub mod names;
pub mod parse;
pub mod path;
pub mod quantity;
pub mod resolve;
pub mod spans;
pub mod template;
