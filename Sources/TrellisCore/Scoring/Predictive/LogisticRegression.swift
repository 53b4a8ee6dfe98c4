/// A logistic regression fitted by gradient descent with L2 regularisation, on standardised
/// features: enough to learn from a few thousand sales outcomes, with no ML dependency.
///
/// ```swift
/// let model = LogisticRegression.fit(features: names, rows: rows, labels: labels)
/// let p = model.probability(row)                       // 0…1
/// let auc = LogisticRegression.auc(scores: heldOut.map(model.probability), labels: heldOutLabels)
/// ```
public struct LogisticRegression: Sendable, Equatable, Codable {
    public var features: [String]
    public var weights: [Double]
    public var bias: Double
    /// Standardisation: (x - mean) / scale, per feature.
    public var means: [Double]
    public var scales: [Double]

    public init(features: [String], weights: [Double], bias: Double, means: [Double], scales: [Double]) {
        self.features = features
        self.weights = weights
        self.bias = bias
        self.means = means
        self.scales = scales
    }

    public static func fit(
        features: [String], rows: [[Double]], labels: [Bool], iterations: Int = 600, learningRate: Double = 0.3, l2: Double = 0.001
    ) -> LogisticRegression {
        let count = features.count
        var means = [Double](repeating: 0, count: count), scales = [Double](repeating: 1, count: count)
        if !rows.isEmpty {
            for column in 0..<count {
                let values = rows.map { $0[column] }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
                means[column] = mean
                scales[column] = variance > 1e-12 ? variance.squareRoot() : 1
            }
        }
        let standardised = rows.map { row in (0..<count).map { (row[$0] - means[$0]) / scales[$0] } }
        var weights = [Double](repeating: 0, count: count)
        var bias = 0.0
        let n = Double(max(rows.count, 1))
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: count)
            var biasGradient = 0.0
            for (row, label) in zip(standardised, labels) {
                var z = bias
                for column in 0..<count { z += weights[column] * row[column] }
                let error = sigmoid(z) - (label ? 1 : 0)
                biasGradient += error
                for column in 0..<count { gradient[column] += error * row[column] }
            }
            bias -= learningRate * biasGradient / n
            for column in 0..<count { weights[column] -= learningRate * (gradient[column] / n + l2 * weights[column]) }
        }
        return LogisticRegression(features: features, weights: weights, bias: bias, means: means, scales: scales)
    }

    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    public func probability(_ row: [Double]) -> Double {
        var z = bias
        for column in 0..<features.count { z += weights[column] * (row[column] - means[column]) / scales[column] }
        return Self.sigmoid(z)
    }

    /// What pushed this lead's probability up or down most: weight × standardised value.
    public func contributions(_ row: [Double], top: Int = 3) -> [(feature: String, effect: Double)] {
        var effects: [(feature: String, effect: Double)] = []
        for column in 0..<features.count {
            let standardised: Double = (row[column] - means[column]) / scales[column]
            effects.append((features[column], weights[column] * standardised))
        }
        effects.sort { abs($0.effect) > abs($1.effect) }
        return Array(effects.prefix(top))
    }

    /// Features by the size of their standardised weight: what the model learned matters.
    public var ranking: [(feature: String, weight: Double)] {
        zip(features, weights).sorted { abs($0.1) > abs($1.1) }.map { ($0.0, $0.1) }
    }

    /// The area under the ROC curve: the chance a random positive scores above a random negative.
    public static func auc(scores: [Double], labels: [Bool]) -> Double {
        let ranked = zip(scores, labels).sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var index = 0
        // Ties share their average rank.
        while index < ranked.count {
            var end = index
            while end + 1 < ranked.count, ranked[end + 1].0 == ranked[index].0 { end += 1 }
            let rank = Double(index + end + 2) / 2
            for position in index...end where ranked[position].1 { rankSum += rank }
            index = end + 1
        }
        let positives = Double(labels.filter { $0 }.count), negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Calibration: in each band of predicted probability, the mean prediction beside the share
    /// that was positive.
    public static func calibration(scores: [Double], labels: [Bool], bins: Int = 5) -> [(predicted: Double, observed: Double, count: Int)] {
        (0..<bins).compactMap { bin in
            let low = Double(bin) / Double(bins), high = Double(bin + 1) / Double(bins)
            let members = zip(scores, labels).filter { $0.0 >= low && ($0.0 < high || (bin == bins - 1 && $0.0 <= 1)) }
            guard !members.isEmpty else { return nil }
            let predicted = members.map(\.0).reduce(0, +) / Double(members.count)
            let observed = Double(members.filter(\.1).count) / Double(members.count)
            return (predicted, observed, members.count)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
