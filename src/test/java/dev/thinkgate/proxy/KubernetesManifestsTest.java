package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes stays consistent with the code: every manifest parses, the ConfigMaps load
 * with the real {@link ConfigLoader} in the Deployment's environment, probes hit endpoints the
 * gateway serves, ports agree with the config, and the grace period outlasts the drain.
 */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("deploy", "kubernetes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Map<String, JsonNode> BY_FILE = new TreeMap<>();
  private static final Map<String, JsonNode> BY_KIND_NAME = new HashMap<>();

  @TempDir static Path tmp;
  private static GatewayConfig config;
  private static JsonNode deployment;
  private static JsonNode pod;
  private static JsonNode container;

  @BeforeAll
  static void load() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        JsonNode doc = YAML.readTree(file.toFile());
        BY_FILE.put(file.getFileName().toString(), doc);
        if (doc.hasNonNull("metadata")) {
          BY_KIND_NAME.put(doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText(), doc);
        }
      }
    }
    deployment = manifest("Deployment/thinkgate");
    pod = deployment.at("/spec/template/spec");
    container = pod.at("/containers/0");
    config = loadConfigAsThePodWould();
  }

  private static JsonNode manifest(String kindSlashName) {
    JsonNode doc = BY_KIND_NAME.get(kindSlashName);
    assertThat(doc).as(kindSlashName + " in " + DIR).isNotNull();
    return doc;
  }

  /** Writes the ConfigMaps' files as the kubelet would and loads them in the pod's env. */
  private static GatewayConfig loadConfigAsThePodWould() throws IOException {
    Path conf = Files.createDirectories(tmp.resolve("conf"));
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    String configName = Path.of(arg("--config")).getFileName().toString();
    writeData(manifest("ConfigMap/thinkgate-conf"), conf);
    writeData(manifest("ConfigMap/thinkgate-policies"), policies);
    LoadResult result = new ConfigLoader(env()::get).load(conf.resolve(configName), policies);
    assertThat(result.errors()).as("the ConfigMaps load without errors").isEmpty();
    return result.config();
  }

  private static void writeData(JsonNode configMap, Path dir) throws IOException {
    for (Iterator<Map.Entry<String, JsonNode>> it = configMap.get("data").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Files.writeString(dir.resolve(e.getKey()), e.getValue().asText());
    }
  }

  /** The container's environment, Secret references resolved against the Secret manifest. */
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    for (JsonNode var : container.get("env")) {
      JsonNode ref = var.at("/valueFrom/secretKeyRef");
      if (ref.isMissingNode()) {
        env.put(var.get("name").asText(), var.get("value").asText());
      } else {
        JsonNode secret = manifest("Secret/" + ref.get("name").asText());
        JsonNode value = secret.at("/stringData/" + ref.get("key").asText());
        assertThat(value.isMissingNode()).as("Secret key " + ref.get("key").asText()).isFalse();
        env.put(var.get("name").asText(), value.asText());
      }
    }
    return env;
  }

  private static String arg(String option) {
    List<String> args = new ArrayList<>();
    container.get("args").forEach(a -> args.add(a.asText()));
    int i = args.indexOf(option);
    assertThat(i).as(option + " in the container args " + args).isNotNegative();
    return args.get(i + 1);
  }

  private static int namedPort(String name) {
    for (JsonNode port : container.get("ports")) {
      if (port.get("name").asText().equals(name)) {
        return port.get("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + name);
  }

  private static JsonNode mountAt(String path) {
    for (JsonNode mount : container.get("volumeMounts")) {
      if (mount.get("mountPath").asText().equals(path)) {
        return mount;
      }
    }
    throw new AssertionError("nothing mounted at " + path);
  }

  private static JsonNode volume(String name) {
    for (JsonNode v : pod.get("volumes")) {
      if (v.get("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  @Test
  void everyManifestIsAKubernetesObjectAndTheKustomizationListsThemAll() {
    Set<String> resources = new TreeSet<>();
    BY_FILE.get("kustomization.yaml").get("resources").forEach(r -> resources.add(r.asText()));
    Set<String> manifests = new TreeSet<>(BY_FILE.keySet());
    manifests.remove("kustomization.yaml");
    assertThat(resources).isEqualTo(manifests);
    for (String file : manifests) {
      JsonNode doc = BY_FILE.get(file);
      assertThat(doc.get("apiVersion")).as(file + " apiVersion").isNotNull();
      assertThat(doc.get("kind")).as(file + " kind").isNotNull();
      assertThat(doc.at("/metadata/labels/app.kubernetes.io~1name").asText()).as(file)
          .isEqualTo("thinkgate");
    }
    assertThat(BY_KIND_NAME.keySet()).contains("Deployment/thinkgate", "Service/thinkgate",
        "HorizontalPodAutoscaler/thinkgate", "PodDisruptionBudget/thinkgate",
        "ConfigMap/thinkgate-conf", "ConfigMap/thinkgate-policies", "Secret/thinkgate-secrets");
  }

  @Test
  void theConfigMapsHoldAWorkingConfigWhosePoliciesAndKeysThePodProvides() {
    for (TenantConfig t : config.tenants()) {
      assertThat(config.policies()).as("tenant " + t.name() + "'s policy").containsKey(t.policy());
    }
    Set<String> envNames = env().keySet();
    for (RouteConfig r : config.routes()) {
      if (r.apiKeyEnv() != null) {
        assertThat(envNames).as("route " + r.model() + " api_key_env").contains(r.apiKeyEnv());
      }
    }
    assertThat(config.server().adminKeyHash()).as("from the Secret").startsWith("sha256:");
    assertThat(config.server().watchConfig()).as("ConfigMap updates hot-reload").isTrue();
  }

  @Test
  void portsAgreeWithTheConfigAndTheService() {
    assertThat(namedPort("http")).isEqualTo(config.server().port());
    assertThat(namedPort("admin")).isEqualTo(config.server().adminPort());
    JsonNode service = manifest("Service/thinkgate");
    JsonNode port = service.at("/spec/ports/0");
    assertThat(port.get("targetPort").asText()).isEqualTo("http");
    assertSelects(service.at("/spec/selector"));
    JsonNode annotations = deployment.at("/spec/template/metadata/annotations");
    assertThat(annotations.get("prometheus.io/port").asInt()).isEqualTo(config.server().adminPort());
  }

  @Test
  void probesHitEndpointsTheGatewayServesOnItsPort() {
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ready");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health");
    Set<String> served = servedPaths();
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      JsonNode get = container.at("/" + probe + "/httpGet");
      assertThat(served).as(probe).contains(get.get("path").asText());
      assertThat(get.get("port").asText()).as(probe + " port").isEqualTo("http");
    }
    assertThat(served).contains(
        deployment.at("/spec/template/metadata/annotations/prometheus.io~1path").asText());
  }

  private static Set<String> servedPaths() {
    Vertx vertx = Vertx.vertx();
    try {
      GatewayServer server = new GatewayServer(vertx, config, new GatewayMetrics(), name -> null,
          "passthrough", AuditSinks.discarding(), System::currentTimeMillis);
      Set<String> paths = new TreeSet<>();
      for (Route route : server.router().getRoutes()) {
        if (route.getPath() != null) {
          paths.add(route.getPath());
        }
      }
      return paths;
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void theGracePeriodOutlastsPreStopDrainAndTheDeadlinesGrace() {
    long graceMs = pod.get("terminationGracePeriodSeconds").asLong() * 1000;
    JsonNode preStop = container.at("/lifecycle/preStop/exec/command");
    long preStopMs = preStop.get(0).asText().equals("sleep")
        ? Long.parseLong(preStop.get(1).asText()) * 1000 : 0;
    long neededMs = preStopMs + config.server().drainTimeoutMs() + ShutdownDrain.AFTER_DEADLINE_MS;
    assertThat(graceMs).as("terminationGracePeriodSeconds vs preStop %d ms + drain_timeout_ms %d"
        + " + %d ms after the deadline", preStopMs, config.server().drainTimeoutMs(),
        ShutdownDrain.AFTER_DEADLINE_MS).isGreaterThan(neededMs);
  }

  @Test
  void configAndPoliciesComeFromConfigMapVolumesThatReceiveUpdates() {
    Path configFile = Path.of(arg("--config"));
    JsonNode confMount = mountAt(configFile.getParent().toString());
    JsonNode policiesMount = mountAt(arg("--policies"));
    for (JsonNode mount : List.of(confMount, policiesMount)) {
      assertThat(mount.has("subPath")).as("a subPath mount never sees ConfigMap updates").isFalse();
    }
    assertThat(volume(confMount.get("name").asText()).at("/configMap/name").asText())
        .isEqualTo("thinkgate-conf");
    assertThat(volume(policiesMount.get("name").asText()).at("/configMap/name").asText())
        .isEqualTo("thinkgate-policies");
    assertThat(manifest("ConfigMap/thinkgate-conf").at("/data").has(configFile.getFileName()
        .toString())).isTrue();
  }

  @Test
  void runsAsNonRootOnAReadOnlyRootWithWritableAuditAndTmp() throws IOException {
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    Matcher uid = Pattern.compile("--uid (\\d+)").matcher(Files.readString(Path.of("Dockerfile")));
    assertThat(uid.find()).as("the Dockerfile creates its user with a fixed UID").isTrue();
    assertThat(pod.at("/securityContext/runAsUser").asText()).isEqualTo(uid.group(1));
    assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
    List<String> writable = new ArrayList<>(List.of("/tmp"));
    for (AuditSinkConfig sink : config.audit().sinks()) {
      if (sink.dir() != null) {
        writable.add(sink.dir());
      }
    }
    for (String path : writable) {
      JsonNode v = volume(mountAt(path).get("name").asText());
      assertThat(v.has("emptyDir") || v.has("persistentVolumeClaim")).as(path + " writable")
          .isTrue();
    }
    assertThat(env().get("JAVA_OPTS")).contains("-Djava.io.tmpdir=/tmp");
  }

  @Test
  void resourcesAutoscalerAndDisruptionBudgetFitTogether() {
    for (String r : List.of("/resources/requests/cpu", "/resources/requests/memory",
        "/resources/limits/memory")) {
      assertThat(container.at(r).isMissingNode()).as(r).isFalse();
    }
    JsonNode hpa = manifest("HorizontalPodAutoscaler/thinkgate");
    assertThat(hpa.at("/spec/scaleTargetRef/kind").asText()).isEqualTo("Deployment");
    assertThat(hpa.at("/spec/scaleTargetRef/name").asText())
        .isEqualTo(deployment.at("/metadata/name").asText());
    int minReplicas = hpa.at("/spec/minReplicas").asInt();
    assertThat(minReplicas).isGreaterThanOrEqualTo(2);
    assertThat(hpa.at("/spec/maxReplicas").asInt()).isGreaterThan(minReplicas);
    JsonNode pdb = manifest("PodDisruptionBudget/thinkgate");
    assertSelects(pdb.at("/spec/selector/matchLabels"));
    assertThat(pdb.at("/spec/maxUnavailable").asInt()).isBetween(1, minReplicas - 1);
    assertSelects(deployment.at("/spec/selector/matchLabels"));
    assertThat(deployment.at("/spec/replicas").isMissingNode())
        .as("the HPA owns the replica count").isTrue();
  }

  /** {@code selector} picks the Deployment's pods. */
  private static void assertSelects(JsonNode selector) {
    JsonNode labels = deployment.at("/spec/template/metadata/labels");
    assertThat(selector.size()).isPositive();
    for (Iterator<Map.Entry<String, JsonNode>> it = selector.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertThat(Objects.toString(labels.get(e.getKey()), null)).as("pod label " + e.getKey())
          .isEqualTo(e.getValue().toString());
    }
  }
}
