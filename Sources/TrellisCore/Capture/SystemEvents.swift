/// Events Trellis writes itself: stage changes, merges, email delivery, workflows, sales handoff
/// and feedback. They are the record of what Trellis did, and reports trust them (a `Sales
/// Feedback` event carries pipeline and revenue), so the tracking API, whose write keys are public,
/// refuses track calls that use these names.
public enum SystemEvents {
    public static let names: Set<String> = [
        "Contact Updated", "Lifecycle Stage Changed", "Score Adjusted", "Segment Entered", "Segment Exited", "Contacts Merged", "Email Sent",
        "Email Deferred", "Email Skipped", "Email Refused", "Email Failed", "Email Delivery Delayed", "Email Open Prefetched", "Email Link Scanned",
        "Handed Off", "Handoff Reassigned", "Handoff Escalated", "Sales Feedback", "Workflow Entered", "Workflow Exited",
    ]
}
