extension ScoreState {
    /// The state as JSON, for the store; written and read on every qualification, so it avoids
    /// Foundation's coders.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "fit": .object(fit.mapValues { .double($0) }), "engagement": .double(engagement), "inactivityApplied": .int(Int64(inactivityApplied)),
            "lastSeq": .int(lastSeq),
        ]
        if let engagementAt { object["engagementAt"] = .int(engagementAt.millisecondsSinceEpoch) }
        if let inactivityFrom { object["inactivityFrom"] = .int(inactivityFrom.millisecondsSinceEpoch) }
        if !awards.isEmpty {
            object["awards"] = .object(awards.mapValues { list in .array(list.map { .array([.int($0.at.millisecondsSinceEpoch), .double($0.points)]) }) })
        }
        return .object(object)
    }

    public init(json: JSONValue) throws(InputError) {
        guard case .object(let object) = json else { throw InputError.invalid("state", "a score state is an object") }
        func number(_ value: JSONValue?) -> Double? { value?.numericValue }
        func time(_ value: JSONValue?) -> Timestamp? {
            guard case .int(let milliseconds)? = value else { return nil }
            return Timestamp(millisecondsSinceEpoch: milliseconds)
        }
        self.init()
        fit = (object["fit"]?.objectValue ?? [:]).compactMapValues { $0.numericValue }
        engagement = number(object["engagement"]) ?? 0
        engagementAt = time(object["engagementAt"])
        inactivityFrom = time(object["inactivityFrom"])
        inactivityApplied = Int(number(object["inactivityApplied"]) ?? 0)
        if case .int(let seq)? = object["lastSeq"] { lastSeq = seq }
        for (rule, list) in object["awards"]?.objectValue ?? [:] {
            awards[rule] = (list.arrayValue ?? []).compactMap { pair in
                guard let items = pair.arrayValue, items.count == 2, let at = time(items[0]), let points = number(items[1]) else { return nil }
                return Award(at: at, points: points)
            }
        }
    }
}
