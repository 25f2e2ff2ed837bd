import Feeds
import Model
import Pipeline

/// Verdicts as JSON lines and as text for a person.
enum VerdictOutput {
    static func json(_ item: LabelledItem, _ verdict: Verdict) -> JSONValue {
        .object([
            ("id", .string(item.item.id)),
            ("verdict", .string(verdict.kind.rawValue)),
            ("score", .number(verdict.score)),
            ("rules", .array(verdict.rules.map { hit in
                .object([("name", .string(hit.name)), ("effect", .string(hit.effect.rawValue)),
                         ("weight", .number(hit.weight)), ("matched", .array(hit.matched.map(JSONValue.string)))])
            })),
            ("unfinished_rules", .array(verdict.unfinishedRules.map(JSONValue.string))),
            ("contributions", .array(verdict.contributions.map { part in
                .object([("feature", .string(part.feature)), ("log_odds", .number(part.logOdds))])
            })),
            ("words", .array(verdict.words.map { part in
                .object([("words", .string(part.feature)), ("log_odds", .number(part.logOdds))])
            })),
            ("bias", .number((verdict.bias * 100).rounded() / 100)),
            ("alert_threshold", .number(verdict.alertThreshold)),
            ("similar", .array(verdict.similar.map { doc in
                .object([("doc", .string(doc.document)), ("score", .number(doc.score)),
                         ("terms", .array(doc.terms.map(JSONValue.string)))])
            })),
            ("story", .optional(verdict.story)),
            ("duplicate_of", .optional(verdict.duplicateOf)),
            ("story_similarity", verdict.storySimilarity.map(JSONValue.number) ?? .null),
            ("exercise", .optional(verdict.facts.exercise)),
            ("places", .array(verdict.facts.places.map(JSONValue.string))),
            ("countries", .array(verdict.facts.countries.map(JSONValue.string))),
        ])
    }

    static func text(_ item: LabelledItem, _ verdict: Verdict, explain: Bool) -> String {
        let mark: String = switch verdict.kind {
        case .alert: "ALERT    "
        case .duplicate: "DUPLICATE"
        case .review: "REVIEW   "
        case .ignore: "ignore   "
        }
        var lines = ["\(mark) \(String(format: "%.2f", verdict.score))  \(item.item.title.isEmpty ? item.item.id : item.item.title)"]
        var facts = verdict.facts.headline
        if !verdict.facts.countries.isEmpty { facts += (facts.isEmpty ? "" : " · ") + verdict.facts.countries.joined(separator: ", ") }
        if !facts.isEmpty { lines.append("           \(facts)") }
        if let story = verdict.story {
            lines.append("           story \(story)" + (verdict.duplicateOf.map { " (same as \($0), similarity \(verdict.storySimilarity.map { String(format: "%.2f", $0) } ?? "?"))" } ?? ""))
        }
        if explain {
            let described = verdict.contributions.map { String(format: "%+.2f ", $0.logOdds) + $0.feature }
            let against = verdict.contributions.filter { $0.logOdds < 0 }
            let forScore = verdict.contributions.filter { $0.logOdds > 0 }
            lines.append("           score " + String(format: "%.2f (alert from %.2f): bias %+.2f", verdict.score, verdict.alertThreshold, verdict.bias)
                + (described.isEmpty ? "" : ", then the features below"))
            if !forScore.isEmpty {
                lines.append("           for      " + forScore.map { String(format: "%+.2f ", $0.logOdds) + $0.feature }.joined(separator: ", "))
            }
            if !against.isEmpty {
                lines.append("           against  " + against.map { String(format: "%+.2f ", $0.logOdds) + $0.feature }.joined(separator: ", "))
            }
            if !verdict.words.isEmpty {
                lines.append("           learnt words: " + verdict.words.map { "\($0.feature) " + String(format: "%+.2f", $0.logOdds) }.joined(separator: ", "))
            }
            for hit in verdict.rules {
                let sign = hit.effect == .veto ? "veto" : String(format: "%+.1f", hit.weight)
                let words = hit.matched.isEmpty ? "(none of its words occur)" : hit.matched.joined(separator: ", ")
                lines.append("           rule \(hit.name) [\(sign)]: \(words)")
            }
            for name in verdict.unfinishedRules {
                lines.append("           rule \(name): stopped at its work bound, counted as not matched")
            }
            for doc in verdict.similar {
                let name = doc.title.map { "\"\($0)\" (\(doc.document))" } ?? doc.document
                lines.append("           similar to \(name) \(String(format: "%.2f", doc.score)): \(doc.terms.joined(separator: ", "))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
