import HTTPTypes
import Synchronization
import TrellisCore
import TrellisStore

/// What the handlers share: the store, the clock, the group committer, auth, metrics and limits.
public final class Services: Sendable {
    public let store: any Store
    public let clock: any TrellisClock
    public let committer: GroupCommitter
    /// Scores, lifecycle stages and segment memberships, kept current as events arrive.
    public let qualify: QualifyService
    /// Nurture workflows, moved on as events arrive and waits end.
    public let workflows: WorkflowService
    /// Email: the send queue, guard rails and SMTP delivery.
    public let mail: MailService
    /// Sales handoff: routing, the CRM webhook, SLA, feedback and the predictive score.
    public let sales: SalesService
    public let authenticator: KeyAuthenticator
    public let metrics: ServerMetrics
    public let trackingLimits: TrackingLimits
    /// Per client address on the public endpoints: hosted forms, tracking, unsubscribe links.
    /// Reverse proxies whose `X-Forwarded-For` names the client (config `trusted_proxies`).
    public let trustedProxies: [AddressRange]
    let formLimiter: AddressLimiter?
    let trackingLimiter: AddressLimiter?
    let unsubscribeLimiter: AddressLimiter?
    /// Console sign-in attempts, by client address and by account: 10 at once, then 5 a minute.
    let signInLimiter = Mutex(RateLimiter(burst: 10, perMinute: 5))
    private let costs = Mutex<[String: Double]>([:])
    /// Monthly cost by lead source, for cost per opportunity in the reports (config `report_costs`).
    public var reportCosts: [String: Double] {
        get { costs.withLock { $0 } }
        set { costs.withLock { $0 = newValue } }
    }
    let random: RandomIdentifiers
    /// The console's dashboard and reports page, computed once and served until the data moves.
    public let reportSnapshots: ReportSnapshots

    public init(
        store: any Store, clock: any TrellisClock, metrics: ServerMetrics = ServerMetrics(), trackingLimits: TrackingLimits = .segment,
        rateLimits: PublicRateLimits = PublicRateLimits(), trustedProxies: [AddressRange] = [], reportMaxAge: Int64 = 0
    ) {
        self.trustedProxies = trustedProxies
        self.store = store
        self.clock = clock
        let workflows = WorkflowService(store: store, clock: clock, metrics: metrics)
        let qualify = QualifyService(store: store, clock: clock, metrics: metrics, onChange: { workflows.notify() })
        self.qualify = qualify
        self.workflows = workflows
        self.mail = MailService(store: store, clock: clock, metrics: metrics)
        self.sales = SalesService(store: store, clock: clock, metrics: metrics)
        self.committer = GroupCommitter(store: store) { commit in
            metrics.committed(commit)
            qualify.notify()
            workflows.notify()
        }
        self.authenticator = KeyAuthenticator(store: store, clock: clock)
        self.metrics = metrics
        self.trackingLimits = trackingLimits
        self.formLimiter = rateLimits.forms.map(AddressLimiter.init)
        self.trackingLimiter = rateLimits.tracking.map(AddressLimiter.init)
        self.unsubscribeLimiter = rateLimits.unsubscribe.map(AddressLimiter.init)
        self.random = RandomIdentifiers()
        self.reportSnapshots = ReportSnapshots(store: store, clock: clock, maxAge: reportMaxAge)
    }
}

/// Request rates per client address on the public endpoints (nil: no limit). Config
/// `rate_limits: { forms: 10/m, tracking: 1000/s, unsubscribe: 20/m }`; docs/operators.md.
public struct PublicRateLimits: Sendable, Equatable {
    public var forms: RateLimit?
    public var tracking: RateLimit?
    public var unsubscribe: RateLimit?

    public init(
        forms: RateLimit? = RateLimit(burst: 10, perMinute: 10), tracking: RateLimit? = RateLimit(burst: 1000, perMinute: 60_000),
        unsubscribe: RateLimit? = RateLimit(burst: 20, perMinute: 20)
    ) {
        self.forms = forms
        self.tracking = tracking
        self.unsubscribe = unsubscribe
    }
}

/// A ``RateLimiter`` per client address, shared by the requests of one endpoint family.
final class AddressLimiter: Sendable {
    private let limiter: Mutex<RateLimiter>

    init(_ rate: RateLimit) {
        limiter = Mutex(rate.limiter())
    }

    /// Takes a token for `address`; a 429 with Retry-After when none is left.
    func check(_ address: String, at now: Timestamp, what: String) throws(APIError) {
        guard case .limited(let retryAfter) = limiter.withLock({ $0.take(address, at: now) }) else { return }
        var error = APIError(.tooManyRequests, code: "rate_limited", message: "too many \(what) from this address; retry in \(retryAfter) s")
        error.headers[.retryAfter] = String(retryAfter)
        // analytics.js reads this one (seconds) after a 429, not Retry-After.
        error.headers[.rateLimitReset] = String(retryAfter)
        throw error
    }
}

/// Random ids for anonymous visitors and form submissions (not secrets, but unguessable).
struct RandomIdentifiers: Sendable {
    func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = UInt64.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        return prefix + String(high, radix: 36) + String(low, radix: 36)
    }
}

extension HTTPField.Name {
    /// Seconds until a rate-limited client may try again, as analytics.js reads it after a 429.
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}
