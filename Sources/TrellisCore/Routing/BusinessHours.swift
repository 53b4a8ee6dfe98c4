extension WorkingHours {
    /// The time `hours` of this working time after `start`: a follow-up due "within 4 business
    /// hours" of a Friday 16:00 handoff in Berlin is due Monday 12:00 there. `offset` gives the
    /// zone's offset from UTC (milliseconds) at an instant.
    public func adding(businessHours hours: Double, to begin: Timestamp, offset: (Timestamp) -> Int64) -> Timestamp {
        let day: Int64 = 86_400_000
        var remaining = Int64(hours * 3_600_000)
        var utc = begin.millisecondsSinceEpoch
        // At most a few weeks of walking (a week with no working day cannot be configured).
        for _ in 0..<(7 * 60) {
            let zoneOffset = offset(Timestamp(millisecondsSinceEpoch: utc))
            let local = utc + zoneOffset
            let midnight = local - ((local % day) + day) % day
            let opens = midnight + Int64(start) * 60_000, closes = midnight + Int64(end) * 60_000
            if days.contains(Self.weekday(localMidnight: midnight)), local < closes {
                let from = max(local, opens)
                if from + remaining <= closes { return Timestamp(millisecondsSinceEpoch: from + remaining - zoneOffset) }
                remaining -= closes - from
            }
            utc = midnight + day - zoneOffset
        }
        return Timestamp(millisecondsSinceEpoch: utc)
    }

    /// Whether `time` falls inside working time.
    public func contains(_ time: Timestamp, offset: Int64) -> Bool {
        let day: Int64 = 86_400_000
        let local = time.millisecondsSinceEpoch + offset
        let into = ((local % day) + day) % day
        let minute = Int(into / 60_000)
        return days.contains(Self.weekday(localMidnight: local - into)) && minute >= start && minute < end
    }

    /// 1970-01-01 was a Thursday.
    static func weekday(localMidnight: Int64) -> Weekday {
        let days = Int((localMidnight / 86_400_000) % 7 + 7) % 7
        return Weekday.allCases[(days + 3) % 7]
    }
}
