/// The features a predictive score learns from: fit traits, behaviour counts, recency and
/// source, read from what the store knows about a contact at handoff time.
public enum OutcomeFeatures {
    public static let names = [
        "company_size_log", "senior_title", "pricing_views", "page_views", "email_clicks", "email_opens", "content_downloads", "webinars",
        "demo_requests", "days_since_last_seen", "source_paid", "source_organic", "source_referral", "source_event",
    ]

    /// Event names the features count, for loading facts.
    public static let eventNames: Set<String> = [
        "Page Viewed", "Email Clicked", "Email Opened", "Ebook Downloaded", "Webinar Registered", "Webinar Attended", "Demo Requested",
    ]

    public static func row(_ facts: ContactFacts, at now: Timestamp) -> [Double] {
        let traits = facts.contact.traits
        var size: Double = traits["company_size"]?.doubleValue ?? traits["employees"]?.doubleValue ?? 0
        if size == 0, let text = traits["employees"]?.stringValue ?? traits["company_size"]?.stringValue {
            // "51-200", "1000+": the lower bound.
            let digits = String(text.prefix { $0.isNumber })
            size = Double(digits) ?? 0
        }
        let title = (traits["title"]?.stringValue ?? "").lowercased()
        let senior = ["vp", "vice president", "director", "head", "chief", "cxo", "ceo", "cto", "cmo", "founder"].contains { title.contains($0) }
        let pages = facts.events(named: "Page Viewed")
        let pricing = pages.filter { ($0.properties["path"]?.stringValue ?? "").hasPrefix("/pricing") }.count
        let days = Double(max(0, now.millisecondsSinceEpoch - facts.contact.lastSeen.millisecondsSinceEpoch)) / 86_400_000
        let source = (traits["source"]?.stringValue ?? traits["lead_source"]?.stringValue ?? "").lowercased()
        func oneHot(_ names: [String]) -> Double { names.contains { source.contains($0) } ? 1 : 0 }
        return [
            log(1 + max(0, size)), senior ? 1 : 0, Double(pricing), Double(pages.count), Double(facts.events(named: "Email Clicked").count),
            Double(facts.events(named: "Email Opened").count), Double(facts.events(named: "Ebook Downloaded").count),
            Double(facts.events(named: "Webinar Registered").count + facts.events(named: "Webinar Attended").count),
            Double(facts.events(named: "Demo Requested").count), min(days, 365), oneHot(["paid", "cpc", "ads"]), oneHot(["organic", "seo", "search"]),
            oneHot(["referral", "partner"]), oneHot(["event", "webinar", "conference"]),
        ]
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
