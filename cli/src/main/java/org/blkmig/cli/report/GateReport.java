// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.scenario.Variant;

/**
 * A gate's report directory: report.json (kind "gate": every check), report.html, junit.xml,
 * summary.md, and campaign/ (the campaign's own report, each finding with its space-time diagram).
 */
public final class GateReport {
    private GateReport() {}

    public static void write(Path dir, CiReport gate, CampaignReport campaign, Campaign.Summary s, Variant variant, double seconds)
            throws IOException {
        Files.createDirectories(dir);
        Path campaignDir = dir.resolve("campaign");
        campaign.writePage(campaignDir, CampaignReport.writeFindings(campaignDir, s));
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("kind", "gate");
        j.put("variant", variant.toString());
        j.put("passed", !gate.failed());
        j.put("checks", gate.json());
        j.put("notes", gate.notes());
        j.put("seconds", seconds);
        Reports.writeJson(dir.resolve("report.json"), j);
        writeFiles(dir, gate, "blkmig gate", List.of("report.json", "junit.xml", "summary.md", "campaign/"));
    }

    /** report.html, junit.xml and summary.md of a list of checks. */
    public static void writeFiles(Path dir, CiReport r, String title, List<String> figures) throws IOException {
        r.writeJunit(dir.resolve("junit.xml"));
        r.writeSummary(dir.resolve("summary.md"));
        StringBuilder h = new StringBuilder(Reports.pageStart(title, r.failed() ? "FAILED" : "PASSED"));
        h.append("<table><tr><th>suite</th><th>check</th><th>result</th><th>message</th></tr>");
        for (CiReport.Case c : r.cases()) {
            h.append("<tr><td>").append(Reports.esc(c.suite())).append("</td><td>").append(Reports.esc(c.name()))
                    .append("</td><td class='").append(c.status() == CiReport.Status.FAILED ? "bad" : "ok").append("'>")
                    .append(c.status()).append("</td><td><code>").append(Reports.esc(c.message())).append("</code></td></tr>");
        }
        h.append("</table>");
        for (String n : r.notes()) {
            h.append("<p>").append(Reports.esc(n)).append("</p>");
        }
        if (figures.contains("campaign/")) {
            h.append("<p>The campaign and its findings' space-time diagrams: <a href='campaign/report.html'>campaign/report.html</a></p>");
        }
        h.append(Reports.figuresLine(figures)).append("</body></html>");
        Files.writeString(dir.resolve("report.html"), h.toString(), StandardCharsets.UTF_8);
    }
}
