import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Reports from the store.", subcommands: [Funnel.self])

    struct Funnel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The funnel of leads captured in a period, with the prior period beside it (the API's numbers).",
            discussion: "Example: trellis report funnel --from 2026-03-01 --to 2026-04-01 --by source")

        @OptionGroup var store: StoreOptions
        @Option(help: "First day of the period (2026-03-01).") var from: String
        @Option(help: "The day after the period.") var to: String
        @Option(help: "total, source, week (of capture), segment (now) or workflow (entered).") var by = "total"
        @Flag(help: "Print CSV instead of a table.") var csv = false

        func run() async throws {
            guard let start = FunnelReporting.parseDay(from) else { throw ValidationError("--from: a date from 1900-01-01 to 2999-12-31 such as 2026-03-01, got '\(from)'") }
            guard let end = FunnelReporting.parseDay(to), end > start else { throw ValidationError("--to: a date after --from, got '\(to)'") }
            guard let dimension = FunnelReport.Dimension(rawValue: by) else { throw ValidationError("--by: \(FunnelReport.Dimension.allCases.map(\.rawValue).joined(separator: ", ")), got '\(by)'") }
            let opened = try await store.openStore()
            let report = try await FunnelReporting.report(store: opened, from: start, to: end, by: dimension, asOf: SystemClock().now())
            if csv {
                print(FunnelReporting.csv(report), terminator: "")
                return
            }
            print("Leads captured \(from) – \(to), prior period beside (in brackets)")
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { index, cell in
                    let width = index == 0 ? 24 : (index > 6 ? 9 : 11)
                    let pad = String(repeating: " ", count: max(0, width - cell.count))
                    return index == 0 ? cell + pad : pad + cell
                }.joined(separator: " ")
            }
            print(line(["group", "captured", "MQL", "SQL", "SAL", "opport.", "customer", "→MQL", "MQL→SQL"]))
            let keys = Set(report.current.groups.keys).union(report.prior.groups.keys).sorted() + (dimension == .total ? [] : ["total"])
            for key in keys {
                let current = key == "total" ? report.current.total : report.current.groups[key] ?? .init()
                let prior = key == "total" ? report.prior.total : report.prior.groups[key] ?? .init()
                func pair(_ a: Int, _ b: Int) -> String { "\(a) (\(b))" }
                func rate(_ value: Double??) -> String { (value ?? nil).map { String(format: "%.0f%%", $0 * 100) } ?? "–" }
                print(line([
                    key, pair(current.captured, prior.captured), pair(current.mql, prior.mql), pair(current.sql, prior.sql), pair(current.sal, prior.sal),
                    pair(current.opportunity, prior.opportunity), pair(current.customer, prior.customer), rate(current.rates["lead_to_mql"]),
                    rate(current.rates["mql_to_sql"]),
                ]))
            }
            print(String(format: "pipeline %.2f (%.2f), revenue %.2f (%.2f)", report.current.total.pipeline, report.prior.total.pipeline, report.current.total.revenue, report.prior.total.revenue))
        }
    }
}
