//! Per-peer Adj-RIB-Out (RFC 4271 §3.2, §9.2): the routes we want the peer to have, the routes it
//! has been sent, and the minimal UPDATEs that move it from one to the other.
//!
//! Pure: values in, [`Update`]s out. Sizes come from the wire layout (RFC 4271 §4.3, RFC 4760 §3-4),
//! so every UPDATE built here fits in [`MAX_MESSAGE_LEN`] octets; the codec does the encoding.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

    /// The next hop for `prefix`, or `None` when the prefix cannot be sent to this peer.
    fn next_hop(&self, prefix: Prefix) -> Option<IpAddr> {
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

/// What the peer was sent for one prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Advert {
    next_hop: IpAddr,
    attributes: RouteAttributes,
}

/// One peer's Adj-RIB-Out: desired routes versus advertised routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RibOut {
    desired: BTreeMap<Prefix, RouteAttributes>,
    advertised: BTreeMap<Prefix, Advert>,
}

impl RibOut {
    /// Empty: nothing desired, nothing advertised.
    pub fn new() -> RibOut {
        RibOut::default()
    }

    /// Replaces the routes we want the peer to have (level-triggered: the whole set every time).
    pub fn set_desired(&mut self, desired: BTreeMap<Prefix, RouteAttributes>) {
        self.desired = desired;
    }

    /// The routes we want the peer to have.
    pub fn desired(&self) -> &BTreeMap<Prefix, RouteAttributes> {
        &self.desired
    }

    /// The prefixes the peer has been sent and not withdrawn, in order.
    pub fn advertised(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.advertised.keys().copied()
    }

    /// How many prefixes the peer has (for `anycastd_bgp_prefixes_advertised`).
    pub fn advertised_count(&self) -> usize {
        self.advertised.len()
    }

    /// The session went down: the peer has nothing from us any more.
    pub fn reset(&mut self) {
        self.advertised.clear();
    }

    /// The minimal UPDATEs from what was advertised to what is desired, and marks them advertised.
    ///
    /// Withdrawals come first (a failing service leaves the peer's table as early as possible), IPv4
    /// then IPv6; then announcements, prefixes sharing next hop and attributes packed together. A
    /// prefix is not sent when its family was not negotiated, it has no next hop, or its attributes
    /// alone would not fit in one message. Every UPDATE fits in [`MAX_MESSAGE_LEN`].
    pub fn updates(&mut self, facts: &PeerFacts) -> Vec<Update> {
        let mut target: BTreeMap<Prefix, Advert> = BTreeMap::new();
        let mut groups: BTreeMap<Advert, Vec<Prefix>> = BTreeMap::new();
        for (&prefix, attributes) in &self.desired {
            let Some(next_hop) = facts.next_hop(prefix) else {
                continue;
            };
            let advert = Advert {
                next_hop,
                attributes: attributes.clone(),
            };
            if nlri_budget(&announce_attributes(&advert, facts, Vec::new()), facts).is_none() {
                continue;
            }
            if self.advertised.get(&prefix) != Some(&advert) {
                groups.entry(advert.clone()).or_default().push(prefix);
            }
            target.insert(prefix, advert);
        }
        let (withdraw_v4, withdraw_v6): (Vec<Prefix>, Vec<Prefix>) = self
            .advertised
            .keys()
            .filter(|prefix| !target.contains_key(prefix))
            .partition(|prefix| prefix.is_ipv4());

        let mut out = Vec::new();
        let budget = MAX_MESSAGE_LEN - UPDATE_OVERHEAD;
        for chunk in pack(&withdraw_v4, budget) {
            out.push(Update {
                withdrawn: chunk,
                attributes: Vec::new(),
                nlri: Vec::new(),
            });
        }
        let unreach = mp_unreach(Afi::Ipv6, Vec::new());
        let budget =
            MAX_MESSAGE_LEN - UPDATE_OVERHEAD - attribute_len(&unreach, facts.four_octet_as);
        for chunk in pack(&withdraw_v6, budget) {
            out.push(Update {
                attributes: vec![mp_unreach(Afi::Ipv6, chunk)],
                ..Update::default()
            });
        }
        // IPv4 groups first, then IPv6 (IpAddr orders V4 before V6).
        for (advert, prefixes) in groups {
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
        self.advertised = target;
        out
    }

    /// The peer sent ROUTE-REFRESH for `family` (RFC 2918 §4): re-send all of that family's desired
    /// routes, together with any pending change of other families.
    pub fn refresh(&mut self, facts: &PeerFacts, family: (Afi, Safi)) -> Vec<Update> {
        let is_ipv4 = match family {
            IPV4_UNICAST => true,
            IPV6_UNICAST => false,
            _ => return self.updates(facts),
        };
        self.advertised
            .retain(|prefix, _| prefix.is_ipv4() != is_ipv4);
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
/// code. eBGP: AS_PATH = our AS `1 + prepend` times; iBGP: empty AS_PATH and LOCAL_PREF 100.
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
    let path: Vec<u32> = if facts.ibgp {
        Vec::new()
    } else {
        vec![facts.local_asn.get(); 1 + usize::from(advert.attributes.prepend)]
    };
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
        attributes.push(PathAttribute::LocalPref(DEFAULT_LOCAL_PREF));
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
