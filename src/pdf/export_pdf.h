// The PDF of an export report (src/export: BuildExportReport over a verified export), laid
// out with Pango on a cairo PDF surface: A4, real text (fonts embedded with their Unicode
// mapping, so it is searchable and selectable), pages numbered "Page N of M", the export's
// notice and digest in every footer, long payloads wrapped and cut with their digest.
// Linked only into oep-pdf and oep-serve (Pango and cairo are shared libraries the short-lived
// `oep` process does not load).
#pragma once

#include <string>

#include "export/export.h"
#include "util/status.h"

namespace oep {

// `digest` (the export's) and `created_at` (RFC 3339, the PDF's creation date) go into
// every footer and the document metadata. IOError when cairo cannot make the PDF.
Result<std::string> RenderExportPdf(const ExportReport& report, const std::string& digest, const std::string& created_at);

}  // namespace oep
