/// "1 alert", "2 alerts", "1 story", "3 stories": a count with its noun, for people.
public func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
