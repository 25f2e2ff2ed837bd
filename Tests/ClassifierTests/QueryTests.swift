import Model
import Testing
@testable import Classifier

@Suite struct QueryLanguage {
    let analyzer = Analyzer()
    var parser: QueryParser { QueryParser(analyzer: analyzer) }

    func matches(_ query: String, title: String = "", body: String) throws -> Bool {
        let text = AnalyzedText(title: title, body: body, analyzer: analyzer)
        return QueryMatcher(text: text, analyzer: analyzer).evaluate(try parser.parse(query)).matched
    }

    @Test func termsAreStemmed() throws {
        #expect(try matches("drill", body: "The navies held drills"))
        #expect(try matches("учения", body: "Начало совместных учений"))
        #expect(try !matches("drill", body: "The navies held exercises"))
    }

    @Test func booleanOperatorsAndImplicitAnd() throws {
        let body = "China and Russia began naval drills"
        #expect(try matches("china AND russia", body: body))
        #expect(try matches("china russia", body: body))
        #expect(try matches("iran OR russia", body: body))
        #expect(try !matches("china AND iran", body: body))
        #expect(try !matches("china NOT russia", body: body))
        #expect(try matches("(iran OR china) AND NOT belarus", body: body))
        // Lower-case "and" is a word, not an operator.
        #expect(try matches("china and russia", body: body))
    }

    @Test func phrasesNeedConsecutiveWords() throws {
        #expect(try matches("\"joint sea\"", body: "the Joint Sea-2024 exercise"))
        #expect(try matches("\"joint sea 2024\"", body: "the Joint Sea-2024 exercise"))
        #expect(try !matches("\"joint sea\"", body: "a joint exercise at sea"))
        #expect(try matches("\"sea of japan\"", body: "drills in the Sea of Japan"))
        // A hyphenated word in a query is a phrase.
        #expect(try matches("north-joint", body: "North Joint 2024"))
    }

    @Test func prefixWildcard() throws {
        #expect(try matches("exercis*", body: "They were exercising"))
        #expect(try matches("\"naval exercis*\"", body: "large naval exercises"))
        #expect(try !matches("exercis*", body: "an exam"))
    }

    @Test func nearCountsWords() throws {
        let body = "Chinese bombers flew with Russian aircraft over the sea"
        #expect(try matches("chinese NEAR/3 russian", body: body))
        #expect(try !matches("chinese NEAR/2 russian", body: body))
        #expect(try matches("(bomber OR warship) NEAR/5 (russian OR russia)", body: body))
        #expect(try matches("(chinese NEAR/3 russian) NEAR/3 aircraft", body: body))
    }

    @Test func fieldScopes() throws {
        #expect(try matches("title:drill", title: "Joint drill begins", body: "nothing"))
        #expect(try !matches("title:drill", title: "News", body: "a drill"))
        #expect(try matches("text:drill", title: "News", body: "a drill"))
        #expect(try !matches("text:drill", title: "Joint drill", body: "nothing"))
        // NEAR never spans title and body.
        #expect(try !matches("begins NEAR/3 navy", title: "Drill begins", body: "navy ships"))
    }

    @Test func cjkQueries() throws {
        #expect(try matches("联合演习", body: "中俄海上联合演习开始"))
        #expect(try !matches("联合演习", body: "联合声明"))
    }

    @Test(arguments: [
        ("china AND", 10, "ends where a word was expected"),
        ("(china OR russia", 1, "'(' is never closed"),
        ("china)", 6, "')' without a matching '('"),
        ("\"joint sea", 1, "unterminated phrase"),
        ("drill NEAR russia", 7, "NEAR needs a distance"),
        ("place:japan", 1, "unknown field 'place:'"),
        ("*ship", 1, "a wildcard needs at least one letter"),
        ("ex*cise", 3, "'*' is only allowed at the end"),
        ("(china NOT russia) NEAR/3 drill", 1, "NEAR needs words"),
        ("()", 1, "empty parentheses"),
        ("", 1, "the query is empty"),
        ("OR china", 1, "OR where a word was expected"),
    ])
    func parseErrorsNameTheColumn(query: String, column: Int, message: String) {
        #expect {
            _ = try parser.parse(query)
        } throws: { error in
            guard let error = error as? QueryError else { return false }
            return error.column == column && error.message.contains(message)
        }
    }

    @Test func ruleErrorsNameTheRule() {
        let errors = Classifier.validate([
            RuleDefinition(name: "good", query: "drill", weight: 1, effect: .raise),
            RuleDefinition(name: "broken", query: "drill AND (", weight: 1, effect: .raise),
        ])
        #expect(errors.count == 1)
        #expect(errors.first?.description.hasPrefix("rule 'broken': column 11:") == true)
    }
}
