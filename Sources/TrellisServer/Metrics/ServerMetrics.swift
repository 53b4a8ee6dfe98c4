import Hummingbird
import Prometheus
import Synchronization
import TrellisCore
import TrellisStore

/// The Prometheus metrics Trellis exposes at `GET /metrics`.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    let commitBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    public init() {}

    /// Every series in Prometheus's text exposition format, as `GET /metrics` serves it.
    public func exposition() -> [UInt8] {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }

    /// The series every request or commit touches, made once each: asking the registry builds
    /// the metric's name and checks its help text every time (~3% of the server's CPU in
    /// `trellis bench --mode track`).
    private let hotSeries = Mutex(HotSeries())

    private struct HotSeries {
        struct RequestKey: Hashable {
            let route: String
            let method: String
            let status: Int
        }
        var requests: [RequestKey: Counter] = [:]
        var durations: [String: DurationHistogram] = [:]
        var ingested: [MessageType: Counter] = [:]
        var commits: Commits?

        struct Commits {
            let count: Counter
            let batches: ValueHistogram
            let messages: Counter
            let duration: DurationHistogram
        }
    }

    func requestFinished(route: String, method: String, status: Int, duration: Duration) {
        let (requests, durations) = hotSeries.withLock { series in
            let requests = series.requests.value(HotSeries.RequestKey(route: route, method: method, status: status)) {
                registry.makeCounter(
                    descriptor: .init(namespace: "trellis", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
                    labels: [("route", route), ("method", method), ("status", String(status))])
            }
            let durations = series.durations.value(route) {
                registry.makeDurationHistogram(
                    descriptor: .init(namespace: "trellis", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer a request"),
                    labels: [("route", route)], buckets: latencyBuckets)
            }
            return (requests, durations)
        }
        requests.increment()
        durations.record(duration)
    }

    /// Time from an event's receipt to the end of the qualify pass that read it.
    func qualified(_ report: QualifyReport, lagsMilliseconds: [Int64]) {
        let histogram = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "trellis", metricName: "qualify_lag", unitName: "seconds", helpText: "Time from ingest to updated scores and memberships"),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)])
        for lag in lagsMilliseconds { histogram.record(.milliseconds(lag)) }
        let changes: [(String, Int)] = [("entered", report.entered), ("exited", report.exited), ("stage", report.stageChanges), ("score", report.scoreChanges)]
        for (kind, count) in changes where count > 0 {
            registry.makeCounter(
                descriptor: .init(namespace: "trellis", metricName: "qualify_changes", unitName: "total", helpText: "Segment entries and exits, stage moves and score changes"),
                labels: [("kind", kind)]
            ).increment(by: Int64(count))
        }
    }

    /// Workflow actions by kind, and the time from a triggering event's receipt to the entry.
    func workflowsAdvanced(_ report: WorkflowReport, entryLagsMilliseconds: [Int64]) {
        let histogram = registry.makeDurationHistogram(
            descriptor: .init(namespace: "trellis", metricName: "workflow_entry_lag", unitName: "seconds", helpText: "Time from a triggering event to the workflow entry"),
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10)])
        for lag in entryLagsMilliseconds { histogram.record(.milliseconds(lag)) }
        let counts: [(String, Int)] = [("entered", report.entered), ("action", report.actions), ("send", report.sends), ("finished", report.finished)]
        for (kind, count) in counts where count > 0 {
            registry.makeCounter(
                descriptor: .init(namespace: "trellis", metricName: "workflow_steps", unitName: "total", helpText: "Workflow entries, actions, sends and finished runs"),
                labels: [("kind", kind)]
            ).increment(by: Int64(count))
        }
    }

    func eventsIngested(_ count: Int, type: MessageType) {
        hotSeries.withLock { series in
            series.ingested.value(type) {
                registry.makeCounter(
                    descriptor: .init(namespace: "trellis", metricName: "events_ingested", unitName: "total", helpText: "Events stored in the event log"),
                    labels: [("type", type.rawValue)])
            }
        }.increment(by: Int64(count))
    }

    func duplicatesSkipped(_ count: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "events_duplicate", unitName: "total", helpText: "Events skipped because their messageId was already stored"),
            labels: []
        ).increment(by: Int64(count))
    }

    /// One group commit: how many requests' batches and messages one transaction carried, and
    /// how long the store took over it. `rate(trellis_ingest_commit_duration_seconds_sum[1m])`
    /// is the share of time the single writer spent on ingest: near 1, it limits the rate.
    func committed(_ commit: GroupCommitter.Commit) {
        let series = hotSeries.withLock { series in
            if let commits = series.commits { return commits }
            let commits = HotSeries.Commits(
                count: registry.makeCounter(
                    descriptor: .init(namespace: "trellis", metricName: "ingest_commits", unitName: "total", helpText: "Write transactions of the ingest path"),
                    labels: []),
                batches: registry.makeValueHistogram(
                    descriptor: .init(namespace: "trellis", metricName: "ingest_commit_batches", unitName: "count", helpText: "Batches carried by one group commit"),
                    labels: [], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256]),
                messages: registry.makeCounter(
                    descriptor: .init(
                        namespace: "trellis", metricName: "ingest_committed_messages", unitName: "total", helpText: "Messages through group commits, duplicates included"),
                    labels: []),
                duration: registry.makeDurationHistogram(
                    descriptor: .init(
                        namespace: "trellis", metricName: "ingest_commit_duration", unitName: "seconds",
                        helpText: "Time the store took over one group commit: waiting for the writer, the transaction and its sync"),
                    labels: [], buckets: commitBuckets))
            series.commits = commits
            return commits
        }
        series.count.increment()
        series.batches.record(Double(commit.batches))
        series.messages.increment(by: Int64(commit.messages))
        series.duration.record(commit.duration)
    }

    /// The ingest path's commit totals as `/metrics` shows them, read back from the text
    /// exposition: `trellis bench` reads them at the start and the end of its measured seconds to
    /// tell how busy the single writer was. Kept beside the series they name, so a renamed series
    /// fails a test rather than leaving the bench without its `writer:` line.
    public struct CommitTotals: Sendable, Equatable {
        public var commits: Double
        public var messages: Double
        /// Seconds the store spent on group commits, waits for the writer included.
        public var busySeconds: Double

        /// nil when the text lacks one of the three series (no commit yet, or not Trellis).
        public init?(exposition text: String) {
            var values: [Substring: Double] = [:]
            for line in text.split(separator: "\n") where line.hasPrefix("trellis_ingest_") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                values[line[..<space]] = value
            }
            guard let commits = values["trellis_ingest_commits_total"], let messages = values["trellis_ingest_committed_messages_total"],
                let busy = values["trellis_ingest_commit_duration_seconds_sum"]
            else { return nil }
            self.commits = commits
            self.messages = messages
            self.busySeconds = busy
        }
    }

    /// A change made but not written to the audit log (the store refused the line).
    func auditFailed() {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "audit_failures", unitName: "total", helpText: "Changes the audit log could not record")
        ).increment()
    }

    func formSubmission(result: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "form_submissions", unitName: "total", helpText: "Form submissions by result"),
            labels: [("result", result)]
        ).increment()
    }

    func emailOutcome(_ status: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "emails", unitName: "total", helpText: "Email send attempts by outcome (sent, deferred, failed, skipped, refused)"),
            labels: [("outcome", status)]
        ).increment()
    }

    func emailEvent(_ name: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "email_events", unitName: "total", helpText: "Opens, clicks, unsubscribes, bounces and complaints"),
            labels: [("event", name)]
        ).increment()
    }

    func rejected(reason: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "trellis", metricName: "tracking_rejected", unitName: "total", helpText: "Tracking requests refused, by error code"),
            labels: [("code", reason)]
        ).increment()
    }
}

/// Counts every request and its latency by route template (not raw path, which would explode the
/// label set).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.requestFinished(route: Self.route(context), method: request.method.rawValue, status: response.status.code, duration: .now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.requestFinished(route: Self.route(context), method: request.method.rawValue, status: error.status.code, duration: .now - start)
            throw error
        } catch {
            metrics.requestFinished(route: Self.route(context), method: request.method.rawValue, status: 500, duration: .now - start)
            throw error
        }
    }

    static func route(_ context: Context) -> String {
        context.endpointPath ?? "unmatched"
    }
}

extension Dictionary {
    /// The value for `key`, made by `make` and kept on the first ask only.
    fileprivate mutating func value(_ key: Key, orMake make: () -> Value) -> Value {
        if let value = self[key] { return value }
        let value = make()
        self[key] = value
        return value
    }
}
