/// The learnt words of the score: a logistic model over an item's own terms (the analyser's
/// stems, and Chinese character pairs) and the pairs of terms that follow one another
/// ("joint sea", "中俄 俄联"), fitted by `drillwatch train` to labelled news.
///
/// Why beside the rules: the rules say what a China–Russia drill report must contain, and
/// stop there; wording they do not name still tells the kinds apart ("warning shots",
/// "tracked", "white paper", "agreed to hold"). The model's log-odds enter the score as one
/// feature, `text:words`, with a weight fitted like any rule's, and only for an item where a
/// raise rule fired and that names China and Russia both taking part, or a series the two
/// hold together: there the words tell a drill from the other news about the two (visits,
/// sightings, agreements, other countries' answers). General news never meets them. Fitted
/// to every labelled item, they learnt that the two countries named together mostly mean a
/// drill ("中俄", "Chinese and"): without the gate, "China and Russia clash over power cut"
/// alerted, and without the countries in it a headline with "patrol boat" reached review.
///
/// A term's value is its count in the item divided by the item's Euclidean length (the square
/// root of the sum of every term's and pair's count squared, known or not), so a long report
/// and its headline weigh on one scale.
public struct TextWeights: Sendable, Equatable {
    public var bias: Double
    /// Weight by term, or by two terms joined by one space for a pair.
    public var terms: [String: Double]

    public init(bias: Double, terms: [String: Double]) {
        self.bias = bias
        self.terms = terms
    }

    /// The model's log-odds are clipped to ±`limit` before they enter the score: one item
    /// whose every word the training saw only in drill reports must not outweigh the rules.
    public static let limit = 8.0

    /// `logOdds` within ±`limit`.
    public static func clipped(_ logOdds: Double) -> Double { max(-limit, min(limit, logOdds)) }
}
