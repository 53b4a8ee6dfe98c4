import Foundation
import TrellisCore

/// The real clock, for `trellis serve`. The core never sees it: it is handed in from here.
public struct SystemClock: TrellisClock {
    public init() {}

    public func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
