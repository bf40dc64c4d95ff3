//! DORA metrics (`obsctl dora report`). The core is pure: [`model`] (the
//! data), [`engine`] (the definitions), [`input`] (windows, incident files),
//! [`render`] (output formats). [`git_source`] reads tags and change sets
//! from local git; GitHub's side is in `providers/github/dora.rs`.

pub mod engine;
pub mod git_source;
pub mod input;
pub mod model;
pub mod render;
