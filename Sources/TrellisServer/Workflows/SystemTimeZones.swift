import Foundation
import TrellisCore

/// Time zone offsets from the system's zone database (tzdata), for waits on a weekday and hour
/// window in each contact's zone. Unknown zone names count as UTC.
public struct SystemTimeZones: TimeZoneOffsets {
    public init() {}

    public func offset(zone: String, at time: Timestamp) -> Int64 {
        guard let timeZone = TimeZone(identifier: zone) else { return 0 }
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000)
        return Int64(timeZone.secondsFromGMT(for: date)) * 1000
    }
}
