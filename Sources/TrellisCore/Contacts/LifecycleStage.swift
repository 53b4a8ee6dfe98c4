/// Where a contact stands in the funnel, in the order leads usually move through it.
///
/// Names follow the convention marketers know from HubSpot and the seeds (MQL, SAL, SQL); the
/// labels HubSpot exports ("Marketing Qualified Lead") are understood by ``init(label:)``.
public enum LifecycleStage: String, Sendable, Codable, CaseIterable, Comparable {
    case subscriber, lead, mql, sal, sql, opportunity, customer, evangelist, disqualified, other, recycled

    public var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: LifecycleStage, rhs: LifecycleStage) -> Bool { lhs.rank < rhs.rank }

    /// The stages a lead moves forward through; disqualified, recycled and other stand aside.
    public var isFunnel: Bool { rank <= LifecycleStage.evangelist.rank }

    /// Whether moving from `self` to `target` is a step back in the funnel, which Trellis only
    /// makes when someone gives a reason (rules never do).
    public func isBackward(to target: LifecycleStage) -> Bool {
        isFunnel && target.isFunnel && target < self
    }

    /// The stage a label names: the raw value, HubSpot's export labels and internal names.
    public init?(label: String) {
        let key = label.lowercased().filter { $0.isLetter }
        switch key {
        case "subscriber": self = .subscriber
        case "lead": self = .lead
        case "mql", "marketingqualifiedlead": self = .mql
        case "sal", "salesacceptedlead": self = .sal
        case "sql", "salesqualifiedlead": self = .sql
        case "opportunity": self = .opportunity
        case "customer": self = .customer
        case "evangelist": self = .evangelist
        case "disqualified", "unqualified": self = .disqualified
        case "other": self = .other
        case "recycled", "recycle", "nurture": self = .recycled
        default: return nil
        }
    }

    /// The label HubSpot uses in its exports.
    public var hubSpotLabel: String {
        switch self {
        case .subscriber: "Subscriber"
        case .lead: "Lead"
        case .mql: "Marketing Qualified Lead"
        case .sal: "Sales Accepted Lead"
        case .sql: "Sales Qualified Lead"
        case .opportunity: "Opportunity"
        case .customer: "Customer"
        case .evangelist: "Evangelist"
        case .disqualified: "Disqualified"
        case .other: "Other"
        case .recycled: "Recycled"
        }
    }
}
