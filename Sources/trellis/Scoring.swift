import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

struct Scoring: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scoring", abstract: "The predictive score learned from sales outcomes.", subcommands: [Train.self])

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit the predictive score on accepted / won versus rejected / lost handoffs, report held-out AUC and calibration, store a model version.",
            discussion: "One lead in four (by contact id) is held out. The server also retrains on its own every 7 days.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let opened = try await store.openStore()
            let sales = SalesService(store: opened, clock: SystemClock())
            let training: SalesService.Training
            do {
                training = try await sales.train()
            } catch let error as SalesService.TrainingError {
                throw CommandFailure(error.description)
            }
            print(String(format: "model version %d: trained on %d leads, held-out AUC %.3f on %d leads", training.version, training.trainedOn, training.auc, training.heldOut))
            print("calibration (predicted → observed, leads):")
            for band in training.calibration { print(String(format: "  %.2f → %.2f  (%d)", band.predicted, band.observed, band.count)) }
            print("features by weight:")
            for feature in training.ranking.prefix(8) { print(String(format: "  %-22@ %+.3f", feature.feature as NSString, feature.weight)) }
        }
    }
}
