import Foundation

/// Text written into TOML files drillwatch writes itself (`feeds add`, `train`).
public enum TOMLText {
    /// A TOML basic string: quotes, backslashes and control characters escaped, so any text
    /// (a feed's name, a term a future tokeniser lets through) reads back as itself.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\u%04X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
