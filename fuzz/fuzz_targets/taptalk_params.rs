//! TapTalk request parameters: `Params::parse` of any body, then every typed accessor on a few
//! fixed names and on each name the body holds (and on the objects of a list of objects).
//! Nothing may panic; errors are fine.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palaver_taptalk::params::Params;

/// Names the SDKs send, tried whether or not the body has them.
const NAMES: &[&str] = &["userID", "roomID", "roomIDs", "messages", "isHidden", "limit", "a"];

fuzz_target!(|body: &[u8]| {
    let Ok(params) = Params::parse(body) else { return };
    read_all(&params, true);
});

fn read_all(params: &Params, nested: bool) {
    let present: Vec<String> = params.0.keys().take(16).cloned().collect();
    for name in NAMES.iter().copied().chain(present.iter().map(String::as_str)) {
        let _ = params.raw(name);
        let _ = params.opt_str(name, "1");
        let _ = params.req_str(name, "1");
        let _ = params.opt_int(name, "1");
        let _ = params.req_int(name, "1");
        let _ = params.opt_bool(name, "1");
        let _ = params.opt_str_list(name, "1");
        let _ = params.req_str_list(name, "1");
        let _ = params.req_external_id(name, "1");
        let _ = params.req_external_ids(name, "1");
        if let Ok(objects) = params.req_objects(name, "1")
            && nested
        {
            objects.iter().take(4).for_each(|o| read_all(o, false));
        }
    }
}
