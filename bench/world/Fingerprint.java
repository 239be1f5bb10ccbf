// SPDX-License-Identifier: GPL-2.0-or-later
// The same world, checked: for campaign seed S, scenarios 0..N-1, clean and with each mutant, one line
// per run: index, variant, the stream's SHA-256, the headline and the failed properties.
// Run with: java -cp cli/target/blkmig.jar bench/world/Fingerprint.java [seed] [scenarios]
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.blkmig.model.campaign.Campaign;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.scenario.Mutant;
import org.blkmig.model.scenario.Variant;
import org.blkmig.sender.Profile;

public class Fingerprint {
    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 7;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        List<Variant> variants = new ArrayList<>();
        variants.add(Variant.BLKMIG);
        for (Mutant m : Mutant.simulated()) {
            variants.add(Variant.of(m));
        }
        for (Variant v : variants) {
            String name = v.mutants().isEmpty() ? "clean" : v.mutants().iterator().next().cliName();
            for (int k = 0; k < n; k++) {
                Judge.Outcome o = Judge.judge(Campaign.choices(seed, k).toScenario(v.profile()), v);
                String failed = o.verdicts().stream().filter(x -> !x.passed()).map(x -> x.property().id())
                        .collect(Collectors.joining(","));
                System.out.println(k + " " + name + " " + o.run().stream().sha256() + " " + o.headline().replace(' ', '_')
                        + " " + (failed.isEmpty() ? "-" : failed));
            }
        }
    }
}
