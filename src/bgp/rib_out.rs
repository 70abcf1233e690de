//! Per-peer Adj-RIB-Out (RFC 4271 §3.2, §9.2): the routes we want the peer to have, the routes it
//! has been sent, and the minimal UPDATEs that move it from one to the other.
//!
//! Pure: values in, [`Update`]s out. Sizes come from the wire layout (RFC 4271 §4.3, RFC 4760 §3-4),
//! so every UPDATE built here fits in [`MAX_MESSAGE_LEN`] octets; the codec does the encoding.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

pub use crate::bgp::codec::MAX_MESSAGE_LEN;
use crate::bgp::codec::{
    Afi, AsPathSegment, HEADER_LEN, LargeCommunity, MpReach, MpUnreach, Origin, PathAttribute,
    Safi, Update,
};
use crate::bgp::fsm::{IPV4_UNICAST, IPV6_UNICAST, Negotiated, SessionConfig};
use crate::bgp::types::{Asn, Prefix};

/// LOCAL_PREF sent to internal peers (RFC 4271 §5.1.5), the common default.
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// Header + Withdrawn Routes Length (2) + Total Path Attribute Length (2).
const UPDATE_OVERHEAD: usize = HEADER_LEN + 2 + 2;
/// The most ASNs one AS_PATH segment holds (its length is one octet).
const MAX_SEGMENT_LEN: usize = 255;

/// How one prefix is announced. `Default` is a plain announcement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RouteAttributes {
    /// MULTI_EXIT_DISC (RFC 4271 §5.1.4).
    pub med: Option<u32>,
    /// LOCAL_PREF for internal peers (RFC 4271 §5.1.5), [`DEFAULT_LOCAL_PREF`] when `None`; never
    /// sent to external peers.
    pub local_pref: Option<u32>,
    /// COMMUNITIES (RFC 1997), in the order given.
    pub communities: Vec<u32>,
    /// LARGE_COMMUNITY (RFC 8092), in the order given.
    pub large_communities: Vec<LargeCommunity>,
    /// Extra copies of our AS prepended on eBGP sessions (AS_PATH = our AS `1 + prepend` times).
    pub prepend: u8,
}

/// What the RIB needs to know about the peer to build UPDATEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerFacts {
    /// Our AS.
    pub local_asn: Asn,
    /// The peer is in our AS: empty AS_PATH and LOCAL_PREF (RFC 4271 §5.1.2, §5.1.5).
    pub ibgp: bool,
    /// NEXT_HOP of IPv4 prefixes; without it IPv4 prefixes are not sent.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes (MP_REACH_NLRI); without it IPv6 prefixes are not sent.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// Negotiated families; a prefix of another family is not sent.
    pub families: Vec<(Afi, Safi)>,
    /// 4-octet AS numbers in AS_PATH (RFC 6793); otherwise AS_TRANS plus AS4_PATH.
    pub four_octet_as: bool,
}

impl PeerFacts {
    /// The facts of an Established session.
    pub fn new(
        config: &SessionConfig,
        negotiated: &Negotiated,
        next_hop_v4: Option<Ipv4Addr>,
        next_hop_v6: Option<Ipv6Addr>,
    ) -> PeerFacts {
        PeerFacts {
            local_asn: config.local_asn,
            ibgp: config.is_ibgp(),
            next_hop_v4,
            next_hop_v6,
            families: negotiated.families.clone(),
            four_octet_as: negotiated.four_octet_as,
        }
    }

    /// The AS_PATH sent with `attributes`, as AS numbers: eBGP our AS `1 + prepend` times, iBGP
    /// empty.
    pub fn as_path(&self, attributes: &RouteAttributes) -> Vec<u32> {
        if self.ibgp {
            Vec::new()
        } else {
            vec![self.local_asn.get(); 1 + usize::from(attributes.prepend)]
        }
    }

    /// The next hop for `prefix`, or `None` when the prefix cannot be sent to this peer.
    pub fn next_hop(&self, prefix: Prefix) -> Option<IpAddr> {
        if prefix.is_ipv4() {
            self.next_hop_v4
                .filter(|_| self.families.contains(&IPV4_UNICAST))
                .map(IpAddr::V4)
        } else {
            self.next_hop_v6
                .filter(|_| self.families.contains(&IPV6_UNICAST))
                .map(IpAddr::V6)
        }
    }
}

/// How one group of prefixes is announced: next hop and attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Advert {
    next_hop: IpAddr,
    attributes: RouteAttributes,
}

/// A route table: prefix -> attributes.
pub type Routes = BTreeMap<Prefix, RouteAttributes>;

/// One peer's Adj-RIB-Out: desired routes versus advertised routes.
///
/// Both tables are shared (`Arc`): every peer holds the supervisor's table itself, not a copy, and
/// once a peer has been sent all of it, its advertised table is that same table again. A hundred
/// peers with ten thousand routes hold one table. When the caller says which prefixes changed
/// ([`RibOut::set_desired_changed`]), a peer in sync works on those prefixes only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RibOut {
    desired: Arc<Routes>,
    /// What the peer has from us. Every entry was sendable under `sent_with`.
    advertised: Arc<Routes>,
    /// The session facts the advertised routes were built with (next hops, AS path form); other
    /// facts make every advertised route stale.
    sent_with: Option<PeerFacts>,
    /// `Some(prefixes)`: `advertised` is the sendable part of an earlier desired table that differs
    /// from `desired` at these prefixes only. `None`: unknown, every route is compared.
    since_sync: Option<BTreeSet<Prefix>>,
    /// `advertised` is the whole desired table of the last sync (every route was sendable).
    mirror: bool,
}

/// Prefixes to withdraw, by family, and to announce, grouped by next hop and attributes.
#[derive(Default)]
struct Changes<'a> {
    withdraw_v4: Vec<Prefix>,
    withdraw_v6: Vec<Prefix>,
    announce: BTreeMap<(IpAddr, &'a RouteAttributes), Vec<Prefix>>,
}

impl<'a> Changes<'a> {
    fn withdraw(&mut self, prefix: Prefix) {
        if prefix.is_ipv4() {
            self.withdraw_v4.push(prefix);
        } else {
            self.withdraw_v6.push(prefix);
        }
    }

    fn announce(&mut self, next_hop: IpAddr, attributes: &'a RouteAttributes, prefix: Prefix) {
        self.announce
            .entry((next_hop, attributes))
            .or_default()
            .push(prefix);
    }
}

impl RibOut {
    /// Empty: nothing desired, nothing advertised.
    pub fn new() -> RibOut {
        RibOut::default()
    }

    /// Replaces the routes we want the peer to have (level-triggered: the whole set every time).
    pub fn set_desired(&mut self, desired: impl Into<Arc<Routes>>) {
        self.desired = desired.into();
        self.since_sync = None;
    }

    /// Replaces the routes we want the peer to have with `desired`, which differs from the current
    /// desired table at most at the prefixes in `changed` (the caller's promise): the next
    /// [`RibOut::updates`] looks at those prefixes only.
    pub fn set_desired_changed(&mut self, desired: Arc<Routes>, changed: &BTreeSet<Prefix>) {
        self.desired = desired;
        if let Some(pending) = &mut self.since_sync {
            pending.extend(changed.iter().copied());
        }
    }

    /// The routes we want the peer to have.
    pub fn desired(&self) -> &Routes {
        &self.desired
    }

    /// The prefixes the peer has been sent and not withdrawn, in order.
    pub fn advertised(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.advertised.keys().copied()
    }

    /// The routes the peer has been sent and not withdrawn, with their attributes, in order.
    pub fn advertised_routes(&self) -> impl Iterator<Item = (&Prefix, &RouteAttributes)> + '_ {
        self.advertised.iter()
    }

    /// How many prefixes the peer has (for `anycastd_bgp_prefixes_advertised`).
    pub fn advertised_count(&self) -> usize {
        self.advertised.len()
    }

    /// The session went down: the peer has nothing from us any more.
    pub fn reset(&mut self) {
        self.advertised = Arc::default();
        self.sent_with = None;
        self.since_sync = None;
        self.mirror = false;
    }

    /// The minimal UPDATEs from what was advertised to what is desired, and marks them advertised.
    ///
    /// Withdrawals come first (a failing service leaves the peer's table as early as possible), IPv4
    /// then IPv6; then announcements, prefixes sharing next hop and attributes packed together. A
    /// prefix is not sent when its family was not negotiated, it has no next hop, or its attributes
    /// alone would not fit in one message. Every UPDATE fits in [`MAX_MESSAGE_LEN`].
    pub fn updates(&mut self, facts: &PeerFacts) -> Vec<Update> {
        let fresh = self.sent_with.as_ref() == Some(facts);
        let out = match self.since_sync.take() {
            Some(changed) if fresh => self.updates_at(facts, &changed),
            _ => self.updates_all(facts, fresh),
        };
        self.sent_with = Some(facts.clone());
        self.since_sync = Some(BTreeSet::new());
        out
    }

    /// [`RibOut::updates`] comparing every route.
    fn updates_all(&mut self, facts: &PeerFacts, fresh: bool) -> Vec<Update> {
        if fresh && Arc::ptr_eq(&self.desired, &self.advertised) {
            return Vec::new();
        }
        let target = self.sendable(facts);
        let mut changes = Changes::default();
        let mut old = self.advertised.iter().peekable();
        for (&prefix, attributes) in target.iter() {
            // Every advertised prefix ordered before this one is no longer wanted.
            while let Some((&gone, _)) = old.next_if(|(p, _)| **p < prefix) {
                changes.withdraw(gone);
            }
            let sent = old.next_if(|(p, _)| **p == prefix).map(|(_, sent)| sent);
            if fresh && sent == Some(attributes) {
                continue;
            }
            if let Some(next_hop) = facts.next_hop(prefix) {
                changes.announce(next_hop, attributes, prefix);
            }
        }
        for (&gone, _) in old {
            changes.withdraw(gone);
        }
        let out = encode(changes, facts);
        self.mirror = Arc::ptr_eq(&target, &self.desired);
        self.advertised = target;
        out
    }

    /// [`RibOut::updates`] when `advertised` is in sync with `desired` except at `changed`.
    fn updates_at(&mut self, facts: &PeerFacts, changed: &BTreeSet<Prefix>) -> Vec<Update> {
        let desired = Arc::clone(&self.desired);
        let mut verdicts = BTreeMap::new();
        let mut changes = Changes::default();
        // (prefix, what the peer should have) for every prefix whose route changes.
        let mut edits: Vec<(Prefix, Option<&RouteAttributes>)> = Vec::new();
        let mut all_sendable = true;
        for &prefix in changed {
            let wanted = desired.get(&prefix);
            let want = wanted.filter(|attributes| fits(&mut verdicts, facts, prefix, attributes));
            all_sendable &= wanted.is_none() || want.is_some();
            let have = self.advertised.get(&prefix);
            if want == have {
                continue;
            }
            match want {
                Some(attributes) => {
                    if let Some(next_hop) = facts.next_hop(prefix) {
                        changes.announce(next_hop, attributes, prefix);
                    }
                }
                None => changes.withdraw(prefix),
            }
            edits.push((prefix, want));
        }
        let out = encode(changes, facts);
        if self.mirror && all_sendable {
            // Still the whole desired table: share it again.
            self.advertised = desired;
        } else {
            self.mirror = false;
            let advertised = Arc::make_mut(&mut self.advertised);
            for (prefix, want) in edits {
                match want {
                    Some(attributes) => advertised.insert(prefix, attributes.clone()),
                    None => advertised.remove(&prefix),
                };
            }
        }
        out
    }

    /// The desired routes this peer can be sent: the desired table itself when all of them can
    /// (no copy), otherwise a copy without those of a family not negotiated, without a next hop, or
    /// whose attributes alone would not fit in one message.
    fn sendable(&self, facts: &PeerFacts) -> Arc<Routes> {
        // Whether a route can be sent depends only on its family and attributes: decide each
        // distinct pair once (a table has few distinct attribute sets).
        let mut verdicts = BTreeMap::new();
        if self
            .desired
            .iter()
            .all(|(&p, a)| fits(&mut verdicts, facts, p, a))
        {
            return Arc::clone(&self.desired);
        }
        Arc::new(
            self.desired
                .iter()
                .filter(|&(&p, a)| fits(&mut verdicts, facts, p, a))
                .map(|(&p, a)| (p, a.clone()))
                .collect(),
        )
    }

    /// The peer sent ROUTE-REFRESH for `family` (RFC 2918 §4): re-send all of that family's desired
    /// routes, together with any pending change of other families.
    pub fn refresh(&mut self, facts: &PeerFacts, family: (Afi, Safi)) -> Vec<Update> {
        let is_ipv4 = match family {
            IPV4_UNICAST => true,
            IPV6_UNICAST => false,
            _ => return self.updates(facts),
        };
        let kept: Routes = self
            .advertised
            .iter()
            .filter(|(prefix, _)| prefix.is_ipv4() != is_ipv4)
            .map(|(&prefix, attributes)| (prefix, attributes.clone()))
            .collect();
        self.advertised = Arc::new(kept);
        self.since_sync = None;
        self.mirror = false;
        self.updates(facts)
    }

    /// After Established: everything desired, then End-of-RIB for each negotiated family.
    pub fn full_table(&mut self, facts: &PeerFacts) -> Vec<Update> {
        self.reset();
        let mut out = self.updates(facts);
        out.extend(end_of_rib(facts));
        out
    }
}

/// The UPDATEs for `changes`: withdrawals first (IPv4, then IPv6), then announcements, IPv4 groups
/// before IPv6 ones (IpAddr orders V4 before V6), each packed to fit in [`MAX_MESSAGE_LEN`].
fn encode(changes: Changes<'_>, facts: &PeerFacts) -> Vec<Update> {
    let mut out = Vec::new();
    let budget = MAX_MESSAGE_LEN - UPDATE_OVERHEAD;
    for chunk in pack(&changes.withdraw_v4, budget) {
        out.push(Update {
            withdrawn: chunk,
            attributes: Vec::new(),
            nlri: Vec::new(),
        });
    }
    let unreach = mp_unreach(Afi::Ipv6, Vec::new());
    let budget = MAX_MESSAGE_LEN - UPDATE_OVERHEAD - attribute_len(&unreach, facts.four_octet_as);
    for chunk in pack(&changes.withdraw_v6, budget) {
        out.push(Update {
            attributes: vec![mp_unreach(Afi::Ipv6, chunk)],
            ..Update::default()
        });
    }
    for ((next_hop, attributes), prefixes) in changes.announce {
        let advert = Advert {
            next_hop,
            attributes: attributes.clone(),
        };
        let empty = announce_attributes(&advert, facts, Vec::new());
        let Some(budget) = nlri_budget(&empty, facts) else {
            continue;
        };
        for chunk in pack(&prefixes, budget) {
            out.push(match advert.next_hop {
                IpAddr::V4(_) => Update {
                    withdrawn: Vec::new(),
                    attributes: empty.clone(),
                    nlri: chunk,
                },
                IpAddr::V6(_) => Update {
                    withdrawn: Vec::new(),
                    attributes: announce_attributes(&advert, facts, chunk),
                    nlri: Vec::new(),
                },
            });
        }
    }
    out
}

/// Whether `prefix` with `attributes` can be sent to this peer: its family was negotiated, it has a
/// next hop, and its attributes leave room for at least one prefix in a message. `verdicts` keeps
/// the answers already found, by family and attributes.
fn fits<'a>(
    verdicts: &mut BTreeMap<(bool, &'a RouteAttributes), bool>,
    facts: &PeerFacts,
    prefix: Prefix,
    attributes: &'a RouteAttributes,
) -> bool {
    let key = (prefix.is_ipv4(), attributes);
    if let Some(&verdict) = verdicts.get(&key) {
        return verdict;
    }
    let verdict = facts.next_hop(prefix).is_some_and(|next_hop| {
        let advert = Advert {
            next_hop,
            attributes: attributes.clone(),
        };
        nlri_budget(&announce_attributes(&advert, facts, Vec::new()), facts).is_some()
    });
    verdicts.insert(key, verdict);
    verdict
}

/// End-of-RIB markers (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an MP_UNREACH_NLRI with no
/// prefixes for any other family; one per negotiated family, in the peer's order.
pub fn end_of_rib(facts: &PeerFacts) -> Vec<Update> {
    facts
        .families
        .iter()
        .map(|&(afi, safi)| {
            if (afi, safi) == IPV4_UNICAST {
                Update::default()
            } else {
                let marker = PathAttribute::MpUnreach(MpUnreach {
                    afi,
                    safi,
                    withdrawn: Vec::new(),
                });
                Update {
                    attributes: vec![marker],
                    ..Update::default()
                }
            }
        })
        .collect()
}

/// The attributes announcing `advert`: MP_REACH_NLRI first for IPv6 (RFC 7606 §5.1), then by type
/// code. eBGP: AS_PATH = our AS `1 + prepend` times; iBGP: empty AS_PATH and LOCAL_PREF (the
/// state's `local_pref`, else 100).
fn announce_attributes(
    advert: &Advert,
    facts: &PeerFacts,
    nlri_v6: Vec<Prefix>,
) -> Vec<PathAttribute> {
    let mut attributes = Vec::new();
    let next_hop_v4 = match advert.next_hop {
        IpAddr::V4(next_hop) => Some(next_hop),
        IpAddr::V6(next_hop) => {
            attributes.push(PathAttribute::MpReach(MpReach {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                next_hops: vec![IpAddr::V6(next_hop)],
                nlri: nlri_v6,
            }));
            None
        }
    };
    attributes.push(PathAttribute::Origin(Origin::Igp));
    let path = facts.as_path(&advert.attributes);
    let needs_as4_path = !facts.four_octet_as && path.iter().any(|&asn| asn > u32::from(u16::MAX));
    let two_octet: Vec<u32> = if facts.four_octet_as {
        path.clone()
    } else {
        path.iter()
            .map(|&asn| u32::from(Asn::new(asn).map_or(0, Asn::as_u16_or_trans)))
            .collect()
    };
    attributes.push(PathAttribute::AsPath(segments(&two_octet)));
    if let Some(next_hop) = next_hop_v4 {
        attributes.push(PathAttribute::NextHop(next_hop));
    }
    if let Some(med) = advert.attributes.med {
        attributes.push(PathAttribute::MultiExitDisc(med));
    }
    if facts.ibgp {
        let local_pref = advert.attributes.local_pref.unwrap_or(DEFAULT_LOCAL_PREF);
        attributes.push(PathAttribute::LocalPref(local_pref));
    }
    if !advert.attributes.communities.is_empty() {
        attributes.push(PathAttribute::Communities(
            advert.attributes.communities.clone(),
        ));
    }
    if needs_as4_path {
        // RFC 6793 §4.2.2: the real path for a 2-octet peer to carry along.
        attributes.push(PathAttribute::As4Path(segments(&path)));
    }
    if !advert.attributes.large_communities.is_empty() {
        attributes.push(PathAttribute::LargeCommunities(
            advert.attributes.large_communities.clone(),
        ));
    }
    attributes
}

/// AS_SEQUENCE segments of at most 255 numbers; none for an empty path.
fn segments(path: &[u32]) -> Vec<AsPathSegment> {
    path.chunks(MAX_SEGMENT_LEN)
        .map(|chunk| AsPathSegment::Sequence(chunk.to_vec()))
        .collect()
}

fn mp_unreach(afi: Afi, withdrawn: Vec<Prefix>) -> PathAttribute {
    PathAttribute::MpUnreach(MpUnreach {
        afi,
        safi: Safi::Unicast,
        withdrawn,
    })
}

/// Octets left for NLRI after these attributes, `None` if not even one host route fits.
fn nlri_budget(attributes: &[PathAttribute], facts: &PeerFacts) -> Option<usize> {
    let used = UPDATE_OVERHEAD
        + attributes
            .iter()
            .map(|a| attribute_len(a, facts.four_octet_as))
            .sum::<usize>();
    MAX_MESSAGE_LEN
        .checked_sub(used)
        .filter(|&budget| budget >= 17)
}

/// Splits `prefixes` into runs whose encoded NLRI fit in `budget` octets.
fn pack(prefixes: &[Prefix], budget: usize) -> Vec<Vec<Prefix>> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut used = 0;
    for &prefix in prefixes {
        let len = prefix_len(prefix);
        if used + len > budget && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(prefix);
        used += len;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// One NLRI entry: length octet plus the significant octets (RFC 4271 §4.3).
pub fn prefix_len(prefix: Prefix) -> usize {
    1 + usize::from(prefix.prefix_len()).div_ceil(8)
}

/// The encoded length of `update` (RFC 4271 §4.3): header, both length fields, withdrawn routes,
/// attributes, NLRI. MP_REACH_NLRI and MP_UNREACH_NLRI are counted with an extended (2-octet)
/// length, the larger of the two encodings.
pub fn encoded_len(update: &Update, four_octet_as: bool) -> usize {
    UPDATE_OVERHEAD
        + update
            .withdrawn
            .iter()
            .map(|&p| prefix_len(p))
            .sum::<usize>()
        + update
            .attributes
            .iter()
            .map(|a| attribute_len(a, four_octet_as))
            .sum::<usize>()
        + update.nlri.iter().map(|&p| prefix_len(p)).sum::<usize>()
}

/// Flags, type code, length (1 octet, or 2 past 255 octets, RFC 4271 §4.3) and value.
fn attribute_len(attribute: &PathAttribute, four_octet_as: bool) -> usize {
    let path_len = |segments: &[AsPathSegment], asn_len: usize| -> usize {
        segments
            .iter()
            .map(|segment| match segment {
                AsPathSegment::Set(asns) | AsPathSegment::Sequence(asns) => {
                    2 + asn_len * asns.len()
                }
            })
            .sum()
    };
    let value = match attribute {
        PathAttribute::Origin(_) => 1,
        PathAttribute::AsPath(segments) => path_len(segments, if four_octet_as { 4 } else { 2 }),
        PathAttribute::NextHop(_)
        | PathAttribute::MultiExitDisc(_)
        | PathAttribute::LocalPref(_) => 4,
        PathAttribute::Communities(communities) => 4 * communities.len(),
        PathAttribute::As4Path(segments) => path_len(segments, 4),
        PathAttribute::LargeCommunities(communities) => 12 * communities.len(),
        PathAttribute::Unknown { value, .. } => value.len(),
        PathAttribute::MpReach(reach) => {
            let next_hops: usize = reach
                .next_hops
                .iter()
                .map(|nh| if nh.is_ipv4() { 4 } else { 16 })
                .sum();
            let nlri: usize = reach.nlri.iter().map(|&p| prefix_len(p)).sum();
            // Extended length always counted: 4 header octets.
            return 4 + 2 + 1 + 1 + next_hops + 1 + nlri;
        }
        PathAttribute::MpUnreach(unreach) => {
            return 4
                + 2
                + 1
                + unreach
                    .withdrawn
                    .iter()
                    .map(|&p| prefix_len(p))
                    .sum::<usize>();
        }
    };
    if value > 255 { 4 + value } else { 3 + value }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn prefix_lengths_follow_the_nlri_encoding() {
        let len = |s: &str| prefix_len(s.parse().unwrap());
        assert_eq!(len("0.0.0.0/0"), 1);
        assert_eq!(len("10.0.0.0/8"), 2);
        assert_eq!(len("10.0.0.0/9"), 3);
        assert_eq!(len("192.0.2.1/32"), 5);
        assert_eq!(len("2001:db8::/32"), 5);
        assert_eq!(len("2001:db8::1/128"), 17);
    }

    #[test]
    fn attribute_lengths_switch_to_extended_past_255_octets() {
        assert_eq!(
            attribute_len(&PathAttribute::Communities(vec![0; 63]), true),
            3 + 252
        );
        assert_eq!(
            attribute_len(&PathAttribute::Communities(vec![0; 64]), true),
            4 + 256
        );
        let path = PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![1, 2])]);
        assert_eq!(attribute_len(&path, true), 3 + 2 + 8);
        assert_eq!(attribute_len(&path, false), 3 + 2 + 4);
    }
}
