// oep-pdf: renders a compliance export (JSON on standard input) as a PDF on standard output,
// after re-verifying it offline: `oep export --format pdf` runs it beside the oep binary, so
// that Pango and cairo load only here. Exit 0 with the PDF; 1 when the export fails
// verification; 2 when the input is not an export or the PDF cannot be made.
#include <cstdio>
#include <iostream>
#include <string>

#include "export/export.h"
#include "json/json.h"
#include "pdf/export_pdf.h"

int main() {
  std::string text;
  char chunk[1 << 16];
  while (std::cin.read(chunk, sizeof chunk) || std::cin.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(std::cin.gcount()));
    if (text.size() > oep::kMaxExportFileBytes) {
      std::cerr << "oep-pdf: standard input: more than " << oep::kMaxExportFileBytes << " bytes; not an export\n";
      return 2;
    }
  }
  auto check = oep::VerifyExport(text, oep::TrustedKeys(), "standard input");
  if (!check.ok()) {
    std::cerr << "oep-pdf: " << check.status().message() << "\n";
    return 2;
  }
  if (!check->ok) {
    std::cerr << "oep-pdf: the export does not verify; no PDF is made of it:\n" << check->Render();
    return 1;
  }
  const auto& d = check->document;
  auto pdf = oep::RenderExportPdf(oep::BuildExportReport(d), oep::json::GetString(d, "export_digest"),
                                  oep::json::GetString(d, "generated_at"));
  if (!pdf.ok()) {
    std::cerr << "oep-pdf: " << pdf.status().message() << "\n";
    return 2;
  }
  std::fwrite(pdf->data(), 1, pdf->size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 2;
}
