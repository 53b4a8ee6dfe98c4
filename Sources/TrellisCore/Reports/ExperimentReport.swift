/// A/B and holdout results for a workflow's split: conversion to the goal per variant with a
/// 95 % interval, each variant against the first (a two-proportion z-test), and lift against the
/// holdout (who entered but got nothing).
///
/// ```swift
/// let report = ExperimentReport(arms: [.init(name: "short", entered: 1000, converted: 80), .init(name: "long", entered: 1000, converted: 110)],
///                               holdout: .init(name: "holdout", entered: 250, converted: 10))
/// report.comparisons[0].pValue    // long against short
/// ```
public struct ExperimentReport: Sendable, Equatable {
    public struct Arm: Sendable, Equatable {
        public var name: String
        public var entered: Int
        public var converted: Int

        public init(name: String, entered: Int, converted: Int) {
            self.name = name
            self.entered = entered
            self.converted = converted
        }

        public var rate: Double? { entered == 0 ? nil : Double(converted) / Double(entered) }

        /// The Wilson score interval at 95 %.
        public var interval: (low: Double, high: Double)? {
            guard entered > 0 else { return nil }
            let n = Double(entered), p = Double(converted) / n, z = 1.959964
            let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            let half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()) / (1 + z * z / n)
            return (max(0, centre - half), min(1, centre + half))
        }
    }

    /// One arm against a baseline.
    public struct Comparison: Sendable, Equatable {
        public var arm: String
        public var baseline: String
        /// (rate − baseline rate) / baseline rate.
        public var lift: Double?
        /// Two-sided p-value of the two-proportion z-test.
        public var pValue: Double?
        /// 1 − p: how sure one can be the difference is not chance.
        public var confidence: Double? { pValue.map { 1 - $0 } }
    }

    public var arms: [Arm]
    public var holdout: Arm?
    public var comparisons: [Comparison]

    public init(arms: [Arm], holdout: Arm?) {
        self.arms = arms
        self.holdout = holdout
        var comparisons: [Comparison] = []
        if let control = arms.first {
            for arm in arms.dropFirst() { comparisons.append(Self.compare(arm, control)) }
        }
        if let holdout {
            for arm in arms { comparisons.append(Self.compare(arm, holdout)) }
        }
        self.comparisons = comparisons
    }

    static func compare(_ arm: Arm, _ baseline: Arm) -> Comparison {
        let lift: Double? = {
            guard let rate = arm.rate, let base = baseline.rate, base > 0 else { return nil }
            return (rate - base) / base
        }()
        return Comparison(arm: arm.name, baseline: baseline.name, lift: lift, pValue: twoProportionPValue(arm, baseline))
    }

    /// Two-sided p-value for the difference of two proportions (pooled standard error).
    public static func twoProportionPValue(_ a: Arm, _ b: Arm) -> Double? {
        guard a.entered > 0, b.entered > 0 else { return nil }
        let n1 = Double(a.entered), n2 = Double(b.entered)
        let pooled = Double(a.converted + b.converted) / (n1 + n2)
        let error = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        guard error > 0 else { return a.converted * b.entered == b.converted * a.entered ? 1 : 0 }
        let z = abs(Double(a.converted) / n1 - Double(b.converted) / n2) / error
        return erfc(z / 2.0.squareRoot())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
