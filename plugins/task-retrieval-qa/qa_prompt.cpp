#include "qa_prompt.h"

#include "python_text.h"

namespace kick::retrieval {
namespace {

std::string join_prompt(std::string_view evidence, std::string_view block) {
  std::string prompt(evidence);
  prompt.append("\n\n");
  prompt.append(block);
  return text::python_strip(prompt);
}

}  // namespace

std::string question_block(book b, std::string_view question) {
  std::string block = b == book::open ? "Based on these texts, answer these questions:\n\nQ: " : "Answer these questions:\n\nQ: ";
  block.append(question);
  block.append("\nA:");
  return block;
}

built_prompt build_prompt(book b, std::string_view question, std::string_view evidence, std::size_t max_evidence_chars) {
  built_prompt p;
  p.question_block = question_block(b, question);
  std::string kept;
  if (b == book::open) kept = text::truncate_chars(evidence, max_evidence_chars, &p.evidence_truncated);
  p.text = join_prompt(kept, p.question_block);
  return p;
}

std::string record_prompt(book b, std::string_view question, std::string_view evidence, std::size_t max_evidence_chars) {
  std::string kept;
  if (b == book::open) {
    kept = text::truncate_chars(evidence, max_evidence_chars);
    bool shortened = false;
    kept = text::truncate_chars(kept, k_record_evidence_chars, &shortened);
    if (shortened) kept.append("...");
  }
  return join_prompt(kept, question_block(b, question));
}

std::string first_line_prediction(std::string_view generated) {
  return text::python_strip(generated.substr(0, generated.find('\n')));
}

result<std::string> code_prediction(std::string_view decoded, std::string_view question_block) {
  const std::size_t first = decoded.find(question_block);
  if (first == std::string_view::npos || question_block.empty()) {
    return fail(status_code::invalid_argument,
                "the decoded output does not contain the prompt's question block (the released code fails here)");
  }
  const std::size_t start = first + question_block.size();
  const std::size_t next = decoded.find(question_block, start);
  const std::string_view part = decoded.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
  const std::string stripped = text::python_strip(part);
  return stripped.substr(0, stripped.find('\n'));
}

}  // namespace kick::retrieval
