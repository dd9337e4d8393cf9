package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * README command 1, {@code thinkgate demo}, in-process on the shipped {@code policies/}: it
 * exits 0 after its seven scenes, and no audit record is lost when it exits (the background
 * Safe@K samples it starts used to be cut off by the close: groups came out short).
 */
class DemoCommandIT {

  @Test
  void theDemoShowsEverySceneAndExitsWithEverySafeAtKGroupComplete(@TempDir Path audit,
      @TempDir Path policies) throws Exception {
    // Given the demo on the emulated model and guard, writing its audit files to a temp dir, on
    // the shipped policies but with every shadow-audit request drawn for Safe@K (20% shipped) in
    // groups of K = 2 (5 shipped), so the demo's 8 concurrent samples never drop a group
    try (Stream<Path> shipped = Files.list(Path.of("policies"))) {
      for (Path p : shipped.toList()) {
        String yaml = Files.readString(p);
        if (p.getFileName().toString().equals("shadow-audit.yaml")) {
          String drawn = yaml.replace("sample_rate: 0.2 ", "sample_rate: 1.0 ")
              .replace("k: 5 ", "k: 2 ");
          assertThat(drawn).as("shadow-audit.yaml's safe_at_k")
              .contains("sample_rate: 1.0 ", "k: 2 ");
          yaml = drawn;
        }
        Files.writeString(policies.resolve(p.getFileName()), yaml);
      }
    }
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      // When it runs to the end
      code = new CommandLine(new Main()).execute("demo", "--audit-dir", audit.toString(),
          "--policies", policies.toString());
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);

    // Then it exits 0 having shown each scene
    assertThat(code).as(out).isZero();
    List<String> scenes = out.lines().filter(l -> l.startsWith("== ")).toList();
    assertThat(scenes).hasSize(7);
    assertThat(scenes.get(0)).startsWith("== 1. ");
    assertThat(scenes.get(6)).startsWith("== 7. ");
    assertThat(out).contains("Done. Run `java -jar target/thinkgate.jar demo --serve`");

    // and every Safe@K group it started reached the audit file whole: samples 0..K-1, in the
    // client's own group or in a group of the K samples only (its id + "-k")
    List<JsonObject> records = records(audit);
    Map<String, TreeSet<Integer>> samplesByGroup = new TreeMap<>();
    for (JsonObject r : records) {
      samplesByGroup.computeIfAbsent(r.getString("group"), g -> new TreeSet<>())
          .add(r.getInteger("sample"));
    }
    int k = 2; // as set above
    List<Integer> whole = IntStream.range(0, k).boxed().toList();
    samplesByGroup.forEach((group, samples) -> {
      if (group.endsWith("-k") || samples.size() > 1) {
        assertThat(samples).as("Safe@K group %s", group).containsExactlyElementsOf(whole);
      }
    });
    // the walkthrough's last sampled request (scene 7) still had its samples running when the
    // walkthrough ended; they are there
    JsonObject last = records.stream()
        .filter(r -> r.getInteger("sample") == 0 && "shadow-audit".equals(r.getString("policy"))
            && "passthrough".equals(r.getString("mode")) && !r.getString("group").endsWith("-k"))
        .max(java.util.Comparator.comparing(r -> java.time.Instant.parse(r.getString("ts")))).orElseThrow();
    String group = last.getString("group");
    TreeSet<Integer> own = samplesByGroup.getOrDefault(group + "-k", new TreeSet<>());
    assertThat(own.isEmpty() ? samplesByGroup.get(group) : own).as("Safe@K group of %s", group)
        .containsExactlyElementsOf(whole);
  }

  private static List<JsonObject> records(Path dir) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().startsWith("audit-")).sorted()
          .collect(Collectors.toList());
    }
    for (Path f : files) {
      var in = Files.newInputStream(f);
      var stream = f.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        r.lines().filter(l -> !l.isBlank()).forEach(l -> out.add(new JsonObject(l)));
      }
    }
    return out;
  }
}
