//! IANA registries used on the BGP wire: one enum per registry, each variant citing the RFC that defines
//! it. Pure tables: no I/O.
//!
//! Unknown values are not errors here; callers keep them as raw numbers.

/// Declares one IANA registry as an enum with `code`, `from_code` and `name`.
macro_rules! registry {
    (
        $(#[$meta:meta])*
        $name:ident: $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every registered value, in registry order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The number on the wire.
            pub const fn code(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                }
            }

            /// The registered value for `code`, `None` for an unassigned one.
            pub const fn from_code(code: $repr) -> Option<$name> {
                match code {
                    $( $value => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// The registry's name for the value, in words.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

registry! {
    /// BGP Message Types (RFC 4271 §4.1).
    MessageType: u8 {
        /// RFC 4271 §4.2
        Open = 1 => "OPEN",
        /// RFC 4271 §4.3
        Update = 2 => "UPDATE",
        /// RFC 4271 §4.5
        Notification = 3 => "NOTIFICATION",
        /// RFC 4271 §4.4
        Keepalive = 4 => "KEEPALIVE",
        /// RFC 2918 §3
        RouteRefresh = 5 => "ROUTE-REFRESH",
    }
}

registry! {
    /// BGP Error (Notification) Codes (RFC 4271 §4.5).
    ErrorCode: u8 {
        /// RFC 4271 §6.1
        MessageHeader = 1 => "Message Header Error",
        /// RFC 4271 §6.2
        OpenMessage = 2 => "OPEN Message Error",
        /// RFC 4271 §6.3
        UpdateMessage = 3 => "UPDATE Message Error",
        /// RFC 4271 §6.5
        HoldTimerExpired = 4 => "Hold Timer Expired",
        /// RFC 4271 §6.6, RFC 6608
        FiniteStateMachine = 5 => "Finite State Machine Error",
        /// RFC 4271 §6.7, RFC 4486
        Cease = 6 => "Cease",
        /// RFC 7313 §5
        RouteRefreshMessage = 7 => "ROUTE-REFRESH Message Error",
        /// RFC 9687 §3
        SendHoldTimerExpired = 8 => "Send Hold Timer Expired",
    }
}

registry! {
    /// Message Header Error subcodes (RFC 4271 §6.1).
    HeaderSubcode: u8 {
        /// RFC 4271 §6.1
        ConnectionNotSynchronized = 1 => "Connection Not Synchronized",
        /// RFC 4271 §6.1
        BadMessageLength = 2 => "Bad Message Length",
        /// RFC 4271 §6.1
        BadMessageType = 3 => "Bad Message Type",
    }
}

registry! {
    /// OPEN Message Error subcodes (RFC 4271 §6.2).
    OpenSubcode: u8 {
        /// RFC 4271 §6.2 ("Unspecific")
        Unspecific = 0 => "Unspecific",
        /// RFC 4271 §6.2
        UnsupportedVersionNumber = 1 => "Unsupported Version Number",
        /// RFC 4271 §6.2
        BadPeerAs = 2 => "Bad Peer AS",
        /// RFC 4271 §6.2
        BadBgpIdentifier = 3 => "Bad BGP Identifier",
        /// RFC 4271 §6.2
        UnsupportedOptionalParameter = 4 => "Unsupported Optional Parameter",
        /// RFC 4271 §6.2
        UnacceptableHoldTime = 6 => "Unacceptable Hold Time",
        /// RFC 5492 §5
        UnsupportedCapability = 7 => "Unsupported Capability",
        /// RFC 9234 §4.2
        RoleMismatch = 11 => "Role Mismatch",
    }
}

registry! {
    /// UPDATE Message Error subcodes (RFC 4271 §6.3).
    UpdateSubcode: u8 {
        /// RFC 4271 §6.3
        MalformedAttributeList = 1 => "Malformed Attribute List",
        /// RFC 4271 §6.3
        UnrecognizedWellKnownAttribute = 2 => "Unrecognized Well-known Attribute",
        /// RFC 4271 §6.3
        MissingWellKnownAttribute = 3 => "Missing Well-known Attribute",
        /// RFC 4271 §6.3
        AttributeFlagsError = 4 => "Attribute Flags Error",
        /// RFC 4271 §6.3
        AttributeLengthError = 5 => "Attribute Length Error",
        /// RFC 4271 §6.3
        InvalidOriginAttribute = 6 => "Invalid ORIGIN Attribute",
        /// RFC 4271 §6.3
        InvalidNextHopAttribute = 8 => "Invalid NEXT_HOP Attribute",
        /// RFC 4271 §6.3
        OptionalAttributeError = 9 => "Optional Attribute Error",
        /// RFC 4271 §6.3
        InvalidNetworkField = 10 => "Invalid Network Field",
        /// RFC 4271 §6.3
        MalformedAsPath = 11 => "Malformed AS_PATH",
    }
}

registry! {
    /// Finite State Machine Error subcodes (RFC 6608 §3).
    FsmSubcode: u8 {
        /// RFC 6608 §3
        Unspecified = 0 => "Unspecified Error",
        /// RFC 6608 §3
        UnexpectedMessageInOpenSent = 1 => "Receive Unexpected Message in OpenSent State",
        /// RFC 6608 §3
        UnexpectedMessageInOpenConfirm = 2 => "Receive Unexpected Message in OpenConfirm State",
        /// RFC 6608 §3
        UnexpectedMessageInEstablished = 3 => "Receive Unexpected Message in Established State",
    }
}

registry! {
    /// Cease NOTIFICATION subcodes (RFC 4486 §4).
    CeaseSubcode: u8 {
        /// RFC 4486 §4
        MaximumPrefixesReached = 1 => "Maximum Number of Prefixes Reached",
        /// RFC 4486 §4, RFC 9003
        AdministrativeShutdown = 2 => "Administrative Shutdown",
        /// RFC 4486 §4
        PeerDeconfigured = 3 => "Peer De-configured",
        /// RFC 4486 §4, RFC 9003
        AdministrativeReset = 4 => "Administrative Reset",
        /// RFC 4486 §4
        ConnectionRejected = 5 => "Connection Rejected",
        /// RFC 4486 §4
        OtherConfigurationChange = 6 => "Other Configuration Change",
        /// RFC 4486 §4
        ConnectionCollisionResolution = 7 => "Connection Collision Resolution",
        /// RFC 4486 §4
        OutOfResources = 8 => "Out of Resources",
        /// RFC 8538 §5
        HardReset = 9 => "Hard Reset",
        /// RFC 9384 §3
        BfdDown = 10 => "BFD Down",
    }
}

registry! {
    /// ROUTE-REFRESH Message Error subcodes (RFC 7313 §5).
    RouteRefreshSubcode: u8 {
        /// RFC 7313 §5
        InvalidMessageLength = 1 => "Invalid Message Length",
    }
}

registry! {
    /// BGP OPEN Optional Parameter Types (RFC 5492 §4, RFC 9072).
    OptionalParameterType: u8 {
        /// RFC 5492 §4
        Capabilities = 2 => "Capabilities",
        /// RFC 9072 §2 (marks the extended optional parameters length)
        ExtendedLength = 255 => "Extended Length",
    }
}

registry! {
    /// Capability Codes (RFC 5492 §4), the ones this codec knows by name.
    CapabilityCode: u8 {
        /// RFC 4760 §8
        MultiProtocol = 1 => "Multiprotocol Extensions",
        /// RFC 2918 §2
        RouteRefresh = 2 => "Route Refresh",
        /// RFC 8950 §3
        ExtendedNextHop = 5 => "Extended Next Hop Encoding",
        /// RFC 8654 §3
        ExtendedMessage = 6 => "BGP Extended Message",
        /// RFC 9234 §4.1
        Role = 9 => "BGP Role",
        /// RFC 4724 §3
        GracefulRestart = 64 => "Graceful Restart",
        /// RFC 6793 §8
        FourOctetAs = 65 => "Support for 4-octet AS number",
        /// RFC 7911 §4
        AddPath = 69 => "ADD-PATH",
        /// RFC 7313 §3
        EnhancedRouteRefresh = 70 => "Enhanced Route Refresh",
        /// RFC 9494 §4
        LongLivedGracefulRestart = 71 => "Long-Lived Graceful Restart",
        /// draft-walton-bgp-hostname-capability
        Fqdn = 73 => "FQDN",
    }
}

registry! {
    /// BGP Path Attributes (RFC 4271 §5), every assigned code; the codec decodes some and keeps the rest
    /// opaque.
    AttributeType: u8 {
        /// RFC 4271 §5.1.1
        Origin = 1 => "ORIGIN",
        /// RFC 4271 §5.1.2
        AsPath = 2 => "AS_PATH",
        /// RFC 4271 §5.1.3
        NextHop = 3 => "NEXT_HOP",
        /// RFC 4271 §5.1.4
        MultiExitDisc = 4 => "MULTI_EXIT_DISC",
        /// RFC 4271 §5.1.5
        LocalPref = 5 => "LOCAL_PREF",
        /// RFC 4271 §5.1.6
        AtomicAggregate = 6 => "ATOMIC_AGGREGATE",
        /// RFC 4271 §5.1.7
        Aggregator = 7 => "AGGREGATOR",
        /// RFC 1997
        Communities = 8 => "COMMUNITIES",
        /// RFC 4456 §8
        OriginatorId = 9 => "ORIGINATOR_ID",
        /// RFC 4456 §8
        ClusterList = 10 => "CLUSTER_LIST",
        /// RFC 4760 §3
        MpReachNlri = 14 => "MP_REACH_NLRI",
        /// RFC 4760 §4
        MpUnreachNlri = 15 => "MP_UNREACH_NLRI",
        /// RFC 4360 §2
        ExtendedCommunities = 16 => "EXTENDED COMMUNITIES",
        /// RFC 6793 §3
        As4Path = 17 => "AS4_PATH",
        /// RFC 6793 §3
        As4Aggregator = 18 => "AS4_AGGREGATOR",
        /// RFC 6514 §5
        PmsiTunnel = 22 => "PMSI_TUNNEL",
        /// RFC 9012 §2
        TunnelEncapsulation = 23 => "Tunnel Encapsulation",
        /// RFC 5543 §3
        TrafficEngineering = 24 => "Traffic Engineering",
        /// RFC 5701 §2
        Ipv6ExtendedCommunities = 25 => "IPv6 Address Specific Extended Community",
        /// RFC 7311 §3
        Aigp = 26 => "AIGP",
        /// RFC 6514 §5
        PeDistinguisherLabels = 27 => "PE Distinguisher Labels",
        /// RFC 9552 §5.3
        BgpLs = 29 => "BGP-LS Attribute",
        /// RFC 8092 §3
        LargeCommunity = 32 => "LARGE_COMMUNITY",
        /// RFC 8205 §3
        BgpsecPath = 33 => "BGPsec_Path",
        /// RFC 9234 §5
        OnlyToCustomer = 35 => "Only to Customer (OTC)",
        /// RFC 9015 §6
        SfpAttribute = 37 => "SFP attribute",
        /// RFC 9026 §3.2.1
        BfdDiscriminator = 38 => "BFD Discriminator",
        /// RFC 8669 §3
        PrefixSid = 40 => "BGP Prefix-SID",
        /// RFC 6368 §5
        AttrSet = 128 => "ATTR_SET",
    }
}

/// A type that names one subcode registry together with its Error Code (RFC 4271 §4.5).
pub trait Subcode: Copy {
    /// The Error Code this registry belongs to.
    const CODE: ErrorCode;
    /// The subcode on the wire.
    fn value(self) -> u8;
}

macro_rules! subcode_of {
    ($($registry:ident => $code:ident),* $(,)?) => {
        $(impl Subcode for $registry {
            const CODE: ErrorCode = ErrorCode::$code;
            fn value(self) -> u8 {
                self.code()
            }
        })*
    };
}

subcode_of! {
    HeaderSubcode => MessageHeader,
    OpenSubcode => OpenMessage,
    UpdateSubcode => UpdateMessage,
    FsmSubcode => FiniteStateMachine,
    CeaseSubcode => Cease,
    RouteRefreshSubcode => RouteRefreshMessage,
}

/// The name of `subcode` under `code`, when both are registered.
pub fn subcode_name(code: u8, subcode: u8) -> Option<&'static str> {
    match ErrorCode::from_code(code)? {
        ErrorCode::MessageHeader => HeaderSubcode::from_code(subcode).map(HeaderSubcode::name),
        ErrorCode::OpenMessage => OpenSubcode::from_code(subcode).map(OpenSubcode::name),
        ErrorCode::UpdateMessage => UpdateSubcode::from_code(subcode).map(UpdateSubcode::name),
        ErrorCode::HoldTimerExpired | ErrorCode::SendHoldTimerExpired => None,
        ErrorCode::FiniteStateMachine => FsmSubcode::from_code(subcode).map(FsmSubcode::name),
        ErrorCode::Cease => CeaseSubcode::from_code(subcode).map(CeaseSubcode::name),
        ErrorCode::RouteRefreshMessage => {
            RouteRefreshSubcode::from_code(subcode).map(RouteRefreshSubcode::name)
        }
    }
}
