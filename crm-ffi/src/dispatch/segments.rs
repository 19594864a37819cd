//! `segments.*`: saved criteria over customers, their live counts and members, why a customer
//! is in, the text form, and memberships with their history.

use super::{Handler, ok, params};
use crm_core::PageRequest;
use crm_core::methods;
use crm_core::segments::SegmentRef;

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::SEGMENTS_CREATE, |c, p| {
        ok(c.scope()?.segments().create(params(p)?)?)
    }),
    (methods::SEGMENTS_GET, |c, p| {
        let id = params::<SegmentRef>(p)?.id;
        ok(c.scope()?.segments().get(id)?)
    }),
    (methods::SEGMENTS_LIST, |c, p| {
        ok(c.scope()?.segments().list(&params::<PageRequest>(p)?)?)
    }),
    (methods::SEGMENTS_UPDATE, |c, p| {
        ok(c.scope()?.segments().update(&params(p)?)?)
    }),
    (methods::SEGMENTS_DELETE, |c, p| {
        let id = params::<SegmentRef>(p)?.id;
        ok(c.scope()?.segments().delete(id)?)
    }),
    (methods::SEGMENTS_PREVIEW, |c, p| {
        ok(c.scope()?.segments().preview(&params(p)?)?)
    }),
    (methods::SEGMENTS_MEMBERS, |c, p| {
        ok(c.scope()?.segments().members(&params(p)?)?)
    }),
    (methods::SEGMENTS_EXPLAIN, |c, p| {
        ok(c.scope()?.segments().explain(&params(p)?)?)
    }),
    (methods::SEGMENTS_PARSE, |c, p| {
        ok(c.scope()?.segments().parse(&params(p)?)?)
    }),
    (methods::SEGMENTS_FORMAT, |c, p| {
        ok(c.scope()?.segments().format(&params(p)?)?)
    }),
    (methods::SEGMENTS_REFRESH, |c, p| {
        ok(c.scope()?.segments().refresh(&params(p)?)?)
    }),
    (methods::SEGMENTS_HISTORY, |c, p| {
        ok(c.scope()?.segments().history(&params(p)?)?)
    }),
];
