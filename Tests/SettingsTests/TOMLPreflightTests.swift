import Foundation
import Testing
@testable import Settings

/// toml++ 3 aborts the process on a table header without a name; drillwatch reports it
/// instead (found by fuzzing the configuration loader).
@Suite struct TOMLHeaders {
    @Test(arguments: ["[\n", "[[\n", "[# x]\n", "[.a]\n", "[=]\n", "[a]\nb = 1\n[ \t\n"])
    func headersWithoutANameAreErrors(_ source: String) {
        #expect(throws: ConfigError.self) { try Settings.parse(source, file: URL(fileURLWithPath: "/tmp/x.toml")) }
    }

    @Test func bracketsInsideValuesAndStringsAreNotHeaders() {
        let sources = [
            "x = [\n[1], [2]\n]\n",
            "x = \"\"\"\n[\n\"\"\"\n",
            "x = '''\n[ \n'''\n",
            "x = \"[\"\n# [\n",
        ]
        for source in sources { #expect(TOMLPreflight.firstBadHeader(in: source) == nil, "\(source)") }
        #expect(TOMLPreflight.firstBadHeader(in: "a = 1\nb = \"\"\"\nx\n\"\"\"\n[\n") == 5)
    }
}

@Suite struct NonFiniteNumbers {
    /// TOML has inf and nan; a setting never means them (found by fuzzing: formatting one trapped).
    @Test(arguments: ["[classifier]\nalert_threshold = inf\n", "[classifier]\nbias = nan\n", "[scan]\nretention_days = -inf\n"])
    func areRefusedWithAMessage(_ source: String) {
        #expect {
            try Settings.parse(source, file: URL(fileURLWithPath: "/tmp/x.toml"))
        } throws: { error in
            "\(error)".contains("finite number") || "\(error)".contains("between")
        }
    }

    /// One problem for one bad value: a refused number is not also an "unknown setting".
    @Test func aNonFiniteNumberIsOneProblem() {
        #expect {
            try Settings.parse("[classifier]\nalert_threshold = nan\n", file: URL(fileURLWithPath: "/tmp/x.toml"))
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.problems.map(\.message) == ["must be a finite number (got nan)"]
        }
    }
}
