/// The storyline that goes to sales with a lead, instead of a bare score: where they came from
/// (first touch), what they did last, what they read, the pain point they wrote down, the score
/// with its top reasons, the last seven days, and a suggested next step.
///
/// ```swift
/// let context = HandoffContext.build(contact: ada, account: initech, events: timeline, score: snapshot,
///                                    scoreReasons: changes, nextStep: "Offer a pricing walkthrough", reason: "Score reached 60", at: now)
/// ```
public enum HandoffContext {
    static let contentEvents: Set<String> = ["Ebook Downloaded", "Webinar Registered", "Webinar Attended", "Video Watched", "Case Study Viewed"]

    public static func build(
        contact: Contact, account: Account?, events: [StoredEvent], score: ScoreSnapshot?, scoreReasons: [ScoreChange], nextStep: String?,
        reason: String, at now: Timestamp
    ) -> JSONValue {
        let chronological = events.sorted { $0.timestamp < $1.timestamp }
        let own = chronological.filter { !SystemEvents.names.contains($0.name ?? "") }  // the lead's own actions
        func text(_ key: String) -> JSONValue { contact.traits[key].flatMap { $0.identifierValue.map(JSONValue.string) } ?? .null }
        let name = [contact.traits["first_name"] ?? contact.traits["firstName"], contact.traits["last_name"] ?? contact.traits["lastName"]]
            .compactMap { $0?.stringValue }.joined(separator: " ")
        var story: [String: JSONValue] = [
            "reason": .string(reason),
            "contact": [
                "id": .int(contact.id), "email": contact.email.map(JSONValue.string) ?? .null, "name": name.isEmpty ? text("name") : .string(name),
                "title": text("title"), "company": text("company"), "phone": text("phone"), "country": text("country"),
                "stage": contact.stage.map { .string($0.rawValue) } ?? .null,
            ],
            "account": account.map { account in
                ["id": .int(account.id), "groupId": .string(account.groupId), "name": account.name.map(JSONValue.string) ?? .null,
                 "traits": .object(account.traits)]
            } ?? .null,
            "suggestedNextStep": nextStep.map(JSONValue.string) ?? .null,
        ]
        story["firstTouch"] = own.first.map { touch($0) } ?? .null
        story["lastTouch"] = own.last.map { touch($0) } ?? .null
        story["lastAction"] = own.last(where: { $0.type == "track" }).map { event in
            ["at": .string(event.timestamp.iso8601), "event": .string(event.name ?? "")]
        } ?? .null
        var consumed: [String] = []
        for event in own {
            let name = event.name ?? ""
            var title: String?
            if contentEvents.contains(name) {
                title = event.properties["title"]?.stringValue ?? event.properties["name"]?.stringValue ?? name
            } else if event.type == "page", let path = event.properties["path"]?.stringValue,
                ["/blog", "/guides", "/customers", "/webinars", "/videos"].contains(where: { path.hasPrefix($0) })
            {
                title = event.properties["title"]?.stringValue ?? path
            }
            if let title, !consumed.contains(title) { consumed.append(title) }
        }
        story["contentConsumed"] = .array(consumed.suffix(10).map(JSONValue.string))
        let painPoint = contact.traits["pain_point"]?.stringValue
            ?? own.last(where: { $0.properties["pain_point"]?.stringValue != nil })?.properties["pain_point"]?.stringValue
        story["painPoint"] = painPoint.map(JSONValue.string) ?? .null
        let top = scoreReasons.filter { $0.points > 0 }.reduce(into: [String: Double]()) { $0[$1.reason, default: 0] += $1.points }
            .sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(3)
        story["score"] = score.map { snapshot in
            [
                "total": .double((snapshot.total * 10).rounded() / 10), "fit": .double((snapshot.fit * 10).rounded() / 10),
                "engagement": .double((snapshot.engagement * 10).rounded() / 10), "grade": .string(snapshot.grade.rawValue),
                "topReasons": .array(top.map { ["reason": .string($0.key), "points": .double($0.value)] }),
            ]
        } ?? .null
        let weekAgo = now.adding(days: -7)
        let recent = own.filter { $0.timestamp >= weekAgo }
        let counts = recent.reduce(into: [String: Int]()) { $0[$1.name ?? $1.type, default: 0] += 1 }
        let pages = recent.compactMap { $0.type == "page" ? $0.properties["path"]?.stringValue : nil }
        story["last7Days"] = [
            "events": .object(counts.mapValues { .int(Int64($0)) }),
            "pages": .array(Array(uniqueKeepingLast(pages).suffix(5)).map(JSONValue.string)),
        ]
        return .object(story)
    }

    static func touch(_ event: StoredEvent) -> JSONValue {
        let campaign = event.context["campaign"]?.objectValue ?? [:]
        let page = event.context["page"]?.objectValue ?? [:]
        var touch: [String: JSONValue] = ["at": .string(event.timestamp.iso8601), "event": .string(event.name ?? event.type), "channel": .string(event.source)]
        touch["utmSource"] = campaign["source"] ?? event.properties["utm_source"] ?? .null
        touch["utmMedium"] = campaign["medium"] ?? event.properties["utm_medium"] ?? .null
        touch["utmCampaign"] = campaign["name"] ?? event.properties["utm_campaign"] ?? .null
        touch["page"] = event.properties["path"] ?? page["path"] ?? event.properties["url"] ?? page["url"] ?? .null
        touch["referrer"] = event.properties["referrer"] ?? page["referrer"] ?? .null
        return .object(touch)
    }

    /// Unique, keeping the last occurrence's order.
    static func uniqueKeepingLast(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.reversed().filter { seen.insert($0).inserted }.reversed()
    }
}
