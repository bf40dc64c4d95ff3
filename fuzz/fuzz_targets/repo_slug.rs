#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| obsctl_fuzz::repo_slug(data));
