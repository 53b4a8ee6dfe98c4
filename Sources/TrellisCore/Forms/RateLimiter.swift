/// A token bucket per key (an IP address, say): `burst` requests at once, refilled at
/// `perMinute`. Pure: the caller passes the time, so tests need no sleeping.
public struct RateLimiter: Sendable {
    public var burst: Double
    public var perMinute: Double
    private var buckets: [String: (tokens: Double, at: Timestamp)] = [:]
    private var lastSweep = Timestamp(millisecondsSinceEpoch: 0)

    public init(burst: Int, perMinute: Int) {
        self.burst = Double(burst)
        self.perMinute = Double(perMinute)
    }

    /// Takes a token for `key` if one is left; otherwise returns the seconds until there is.
    public mutating func take(_ key: String, at now: Timestamp) -> RateDecision {
        sweep(at: now)
        var bucket = buckets[key] ?? (burst, now)
        let elapsedMinutes = Double(max(0, now.millisecondsSinceEpoch - bucket.at.millisecondsSinceEpoch)) / 60_000
        bucket.tokens = min(burst, bucket.tokens + elapsedMinutes * perMinute)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            let wait = (1 - bucket.tokens) / perMinute * 60
            return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        return .allowed
    }

    /// Forgets full buckets now and then, so the table stays as small as the set of active keys.
    private mutating func sweep(at now: Timestamp) {
        guard now.millisecondsSinceEpoch - lastSweep.millisecondsSinceEpoch > 60_000 else { return }
        lastSweep = now
        let refill = burst / max(perMinute, 0.001) * 60_000
        buckets = buckets.filter { Double(now.millisecondsSinceEpoch - $0.value.at.millisecondsSinceEpoch) < refill }
    }
}

public enum RateDecision: Sendable, Equatable {
    case allowed
    case limited(retryAfterSeconds: Int)
}

/// A request rate for a public endpoint: `burst` requests at once, refilled at `perMinute`.
/// Written `1000/s` or `20/m` (the burst is one second's or one minute's worth), or `off`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var burst: Int
    public var perMinute: Int

    public init(burst: Int, perMinute: Int) {
        self.burst = burst
        self.perMinute = perMinute
    }

    /// `1000/s`, `20/m`; nil for anything else (`off` is the caller's to handle).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0, count <= 1_000_000 else { return nil }
        switch parts[1] {
        case "s": self.init(burst: count, perMinute: count * 60)
        case "m": self.init(burst: count, perMinute: count)
        default: return nil
        }
    }

    public var description: String { perMinute % 60 == 0 && burst == perMinute / 60 ? "\(burst)/s" : "\(burst) then \(perMinute)/m" }

    public func limiter() -> RateLimiter { RateLimiter(burst: burst, perMinute: perMinute) }
}
