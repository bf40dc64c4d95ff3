//! `obsctl release …`.

pub mod create;
