package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload from Kubernetes ConfigMap volumes. The kubelet never writes a mounted file in place:
 * it writes a new {@code ..<timestamp>} directory, points a {@code ..data_tmp} symlink at it and
 * renames that over {@code ..data}, and each key is a symlink {@code name -> ..data/name}. This
 * test plays that exact sequence on the real {@link ConfigWatcher}; waits are bounded.
 */
class ConfigMapSwapIT {
  private static final long WAIT_SECONDS = 20;

  @TempDir Path dir;
  private Path conf;
  private Path policies;
  private ConfigWatcher watcher;
  private ConfigStore store;
  private final BlockingQueue<GatewayConfig> applied = new LinkedBlockingQueue<>();
  private int generation;

  @BeforeEach
  void start() throws IOException {
    conf = Files.createDirectories(dir.resolve("conf"));
    policies = Files.createDirectories(dir.resolve("policies"));
    project(conf, Map.of("thinkgate.yaml", "tenants: {a: {policy: p, requests_per_minute: 10}}\n"));
    project(policies, Map.of("p.yaml", "reasoning: {mode: zerothink}\n"));
    store = new ConfigStore(new ConfigLoader(name -> null), conf.resolve("thinkgate.yaml"),
        policies, new SimpleMeterRegistry(), Clock.systemUTC());
    store.addListener(applied::add);
    watcher = new ConfigWatcher(store, conf.resolve("thinkgate.yaml"), policies,
        Duration.ofMillis(100)).start();
  }

  @AfterEach
  void stop() {
    watcher.close();
  }

  @Test
  void theLayoutLoadsThroughItsSymlinks() {
    assertThat(Files.isSymbolicLink(conf.resolve("thinkgate.yaml"))).isTrue();
    assertThat(store.current().tenants().get(0).requestsPerMinute()).isEqualTo(10);
    assertThat(store.current().policies()).containsKey("p").doesNotContainKey("..data");
  }

  @Test
  void aConfigMapUpdateOfTheConfigFileApplies() throws Exception {
    project(conf, Map.of("thinkgate.yaml", "tenants: {a: {policy: p, requests_per_minute: 20}}\n"));

    GatewayConfig next = applied.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(next).as("reload after the ..data swap").isNotNull();
    assertThat(next.tenants().get(0).requestsPerMinute()).isEqualTo(20);
  }

  @Test
  void aConfigMapUpdateOfThePoliciesApplies() throws Exception {
    project(policies, Map.of("p.yaml", "reasoning: {mode: lessthink}\n",
        "q.yaml", "reasoning: {mode: morethink}\n"));

    GatewayConfig next = applied.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(next).as("reload after the ..data swap").isNotNull();
    assertThat(next.policies().get("p").reasoning().mode().wire()).isEqualTo("lessthink");
    assertThat(next.policies()).containsKey("q");
  }

  /** What the kubelet's atomic writer does for one ConfigMap volume update. */
  private void project(Path volume, Map<String, String> files) throws IOException {
    Path previous = Files.isSymbolicLink(volume.resolve("..data"))
        ? volume.resolve(Files.readSymbolicLink(volume.resolve("..data"))) : null;
    Path next = Files.createDirectory(volume.resolve("..2026_11_29_02_30_00." + (++generation)));
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(next.resolve(f.getKey()), f.getValue());
    }
    Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), next.getFileName());
    Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String name : files.keySet()) {
      Path link = volume.resolve(name);
      if (!Files.isSymbolicLink(link)) {
        Files.createSymbolicLink(link, Path.of("..data").resolve(name));
      }
    }
    if (previous != null) {
      try (Stream<Path> old = Files.walk(previous)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
