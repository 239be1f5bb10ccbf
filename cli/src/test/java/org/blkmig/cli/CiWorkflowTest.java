// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * ci/'s GitHub Actions workflow, parsed: its shard matrix, the campaign's --shard arguments and the
 * merge step agree with one another and with the CLI (every command line parses as blkmig's).
 */
class CiWorkflowTest {
    static final Path WORKFLOW = Path.of("..", "ci", "blkmig-gate.yml");

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String what) {
        assertTrue(o instanceof Map, what + " is a mapping");
        return (Map<String, Object>) o;
    }

    /** The blkmig command lines of a job's run steps, ${{ matrix.shard }} replaced by {@code shard}, env by its values. */
    static List<List<String>> blkmigCommands(Map<String, Object> job, Map<String, Object> env, String shard) {
        List<List<String>> out = new ArrayList<>();
        for (Object s : (List<?>) job.get("steps")) {
            Object run = map(s, "step").get("run");
            if (run == null || !run.toString().contains("./blkmig ")) {
                continue;
            }
            String line = run.toString().strip();
            line = line.replace("${{ matrix.shard }}", shard);
            for (Map.Entry<String, Object> e : env.entrySet()) {
                line = line.replace("\"$" + e.getKey() + "\"", e.getValue().toString()).replace("$" + e.getKey(), e.getValue().toString());
            }
            line = line.substring(line.indexOf("./blkmig ") + "./blkmig ".length());
            int or = line.indexOf(" ||");
            out.add(List.of((or < 0 ? line : line.substring(0, or)).trim().split("\\s+")));
        }
        return out;
    }

    /** Parses a command line with blkmig's own parser: unknown options or commands throw. */
    static CommandLine.ParseResult parse(List<String> args) {
        return Main.withEverySubcommand().parseArgs(args.toArray(String[]::new)).subcommand();
    }

    @Test
    void theWorkflowsShardsAndMergeAgreeWithTheCli() throws Exception {
        Map<String, Object> wf;
        try (Reader r = Files.newBufferedReader(WORKFLOW)) {
            wf = map(new Yaml().load(r), "the workflow");
        }
        Map<String, Object> env = map(wf.get("env"), "env");
        Map<String, Object> jobs = map(wf.get("jobs"), "jobs");
        Map<String, Object> campaign = map(jobs.get("campaign"), "the campaign job");
        List<?> shards = (List<?>) map(map(campaign.get("strategy"), "strategy").get("matrix"), "matrix").get("shard");
        assertNotNull(shards, "a shard matrix");
        int n = shards.size();
        for (int i = 0; i < n; i++) {
            assertEquals(i, ((Number) shards.get(i)).intValue(), "shards 0..N-1 in order");
        }
        List<String> shardDirs = new ArrayList<>();
        for (Object shard : shards) {
            List<List<String>> cmds = blkmigCommands(campaign, env, shard.toString());
            assertEquals(1, cmds.size(), "one blkmig command per shard");
            CommandLine.ParseResult p = parse(cmds.get(0));
            assertEquals("campaign", p.commandSpec().name());
            assertEquals(shard + "/" + n, p.matchedOptionValue("--shard", ""), "--shard I/N with N the matrix's size");
            assertEquals(env.get("SEED").toString(), p.matchedOptionValue("--seed", 0L).toString());
            String report = p.matchedOptionValue("--report", Path.of("")).toString();
            shardDirs.add(report);
            // the uploaded artifact is the shard's report directory
            boolean uploaded = ((List<?>) campaign.get("steps")).stream().map(s -> map(s, "step"))
                    .filter(s -> String.valueOf(s.get("uses")).startsWith("actions/upload-artifact"))
                    .anyMatch(s -> map(s.get("with"), "with").get("path").toString().replace("${{ matrix.shard }}", shard.toString())
                            .equals(report));
            assertTrue(uploaded, "shard " + shard + " uploads " + report);
        }
        Map<String, Object> merge = map(jobs.get("merge"), "the merge job");
        assertEquals(List.of("campaign"), merge.get("needs"));
        List<List<String>> cmds = blkmigCommands(merge, env, "");
        assertEquals(1, cmds.size());
        CommandLine.ParseResult p = parse(cmds.get(0));
        assertEquals("merge", p.commandSpec().name());
        List<String> merged = p.matchedPositionalValue(0, List.<Path>of()).stream().map(Path::toString).toList();
        assertEquals(shardDirs, merged, "the merge takes every shard's report, in order");
        assertNotNull(p.matchedOptionValue("--output", null), "the merge writes somewhere");
        // the gate job runs the gate with a JUnit file, and its options parse
        List<List<String>> gate = blkmigCommands(map(jobs.get("gate"), "the gate job"), env, "");
        assertEquals("gate", parse(gate.get(0)).commandSpec().name());
        assertTrue(parse(gate.get(0)).hasMatchedOption("--junit"));
    }

    @Test
    void theReadmeShowsTheWorkflow() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = Pattern.compile("ci/blkmig-gate\\.yml").matcher(readme);
        assertTrue(m.find(), "README names ci/blkmig-gate.yml");
        assertTrue(readme.contains("blkmig merge shard-0 shard-1 shard-2 shard-3"), "README shows the merge");
    }
}
