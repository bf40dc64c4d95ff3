//! DORA metrics (`obsctl dora report`), pure: [`model`] (the data),
//! [`engine`] (the definitions), [`input`] (windows, incident files),
//! [`render`] (output formats). Local git's side (tags and change sets) is in
//! the `obsctl` crate's git layer; GitHub's in its GitHub provider.

pub mod engine;
pub mod input;
pub mod model;
pub mod render;
