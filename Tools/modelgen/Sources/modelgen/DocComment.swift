/// The first sentence of an OpenAPI description, on one line: "Standard object's metadata. More info: …" →
/// "Standard object's metadata."
func firstSentence(_ description: String) -> String {
    let words = description.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
    var sentence: [Substring] = []
    for (i, word) in words.enumerated() {
        sentence.append(word)
        // A sentence ends at a full stop followed by a capitalised word ("e.g. foo" and "v1.2" do not end one).
        guard word.hasSuffix("."), i + 1 < words.count, let next = words[i + 1].first else { continue }
        let abbreviation = ["e.g.", "i.e.", "etc.", "vs.", "approx."].contains(word.lowercased())
        if next.isUppercase, !abbreviation { break }
    }
    return sentence.joined(separator: " ")
}

/// `///` lines for `text`, wrapped to fit `width` columns after `indent`.
func docCommentLines(_ text: String, indent: String, width: Int = 120) -> [String] {
    let available = max(width - indent.count - 4, 40)
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty, line.count + 1 + word.count > available {
            lines.append(line)
            line = ""
        }
        line += line.isEmpty ? String(word) : " " + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.map { "\(indent)/// \($0)" }
}
