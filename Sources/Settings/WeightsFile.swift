import Model
import Foundation
import TOMLKit

/// A trained weights file (`drillwatch train --out weights.toml`), referenced from the
/// configuration by `[classifier] weights = "weights.toml"`:
///
/// ```toml
/// # trained by drillwatch train on data/labelled/train.jsonl …
/// bias = -4.12
/// alert_threshold = 0.6
/// review_threshold = 0.35
/// [weights]
/// "rule:drill-with-china-and-russia" = 2.71
/// similarity = 3.05
/// "text:words" = 0.61
/// [text]
/// bias = -0.87
/// [text.terms]
/// "joint sea" = 1.92
/// "warn shot" = -0.74
/// ```
///
/// Plain text on purpose: a reviewer reads what the training did, and a person can change a
/// number (or pin a rule's weight in the configuration, which training then leaves alone).
public enum WeightsFile {
    /// Reads `file`; problems are reported like the configuration's, with lines.
    static func load(_ file: URL) throws(ConfigError) -> ScoreWeights {
        let name = file.lastPathComponent
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(problems: [ConfigProblem(file: file.path, line: nil, keyPath: "", message: "cannot read the weights file")])
        }
        let source = String(decoding: data, as: UTF8.self)
        let root = try Settings.toml(source, name: name)
        var reader = TableReader(file: name, source: source)
        var weights = ScoreWeights(bias: reader.double(root, "bias", at: "", in: -100...100) ?? 0, weights: [:])
        weights.alertThreshold = reader.double(root, "alert_threshold", at: "", in: 0...1)
        weights.reviewThreshold = reader.double(root, "review_threshold", at: "", in: 0...1)
        if let table = reader.table(root, "weights", at: "") {
            for key in table.keys.sorted() {
                if let value = reader.double(table, key, at: "weights", in: -100...100) { weights.weights[key] = value }
            }
        }
        if let text = reader.table(root, "text", at: "") {
            var words = TextWeights(bias: reader.double(text, "bias", at: "text", in: -100...100) ?? 0, terms: [:])
            if let terms = reader.table(text, "terms", at: "text") {
                words.terms = reader.doubles(terms, at: "text.terms", in: -100...100)
            }
            reader.rejectUnasked(text, at: "text")
            weights.text = words
        }
        reader.rejectUnasked(root, at: "")
        if !reader.problems.isEmpty { throw ConfigError(problems: reader.problems) }
        return weights
    }

    /// The file's text: a header saying where the weights came from, then the numbers.
    public static func render(_ weights: ScoreWeights, header: [String]) -> String {
        var lines = header.map { "# " + $0 }
        lines.append(String(format: "bias = %.6f", weights.bias))
        if let value = weights.alertThreshold { lines.append(String(format: "alert_threshold = %.4f", value)) }
        if let value = weights.reviewThreshold { lines.append(String(format: "review_threshold = %.4f", value)) }
        lines.append("")
        lines.append("[weights]")
        for key in weights.weights.keys.sorted() {
            lines.append("\"\(key)\" = " + String(format: "%.6f", weights.weights[key]!))
        }
        if let words = weights.text {
            // Four decimals: a term's value is its count over the item's length (some 0.05),
            // so a weight's fifth decimal moves the log-odds by less than 1e-5.
            lines.append("")
            lines.append("[text]")
            lines.append(String(format: "bias = %.6f", words.bias))
            lines.append("")
            lines.append("[text.terms]")
            for key in words.terms.keys.sorted() where abs(words.terms[key]!) >= 0.00005 {
                lines.append(TOMLText.quoted(key) + " = " + String(format: "%.4f", words.terms[key]!))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
