package dev.thinkgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.thinkgate.policy.AuditPolicy;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.policy.ReasoningPolicy;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.InputAction;
import dev.thinkgate.policy.ScreeningPolicy.InputScreen;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads {@code policies/<name>.yaml} files into {@link Policy} records, collecting every problem
 * (unknown keys, wrong types, out-of-range numbers, unknown enum values, contradictions between
 * keys). The policy's name is its file name; the built-in {@code passthrough} policy always exists.
 */
public final class PolicyLoader {
  private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final EnvSubstitution env;
  private final YamlFiles yaml = new YamlFiles();

  /** @param env environment for {@code ${VAR}} substitution; null for unset variables */
  public PolicyLoader(Function<String, String> env) {
    this.env = new EnvSubstitution(env);
  }

  /** Every {@code *.yaml} / {@code *.yml} file of {@code dir}, plus built-in passthrough. */
  public PolicyLoadResult loadDirectory(Path dir) {
    List<ConfigError> errors = new ArrayList<>();
    Map<String, Policy> policies = new LinkedHashMap<>();
    Map<String, String> sources = new LinkedHashMap<>();
    if (dir != null) {
      if (!Files.isDirectory(dir)) {
        errors.add(new ConfigError(dir.toString(), "", "policies directory not found"));
      } else {
        for (Path file : yamlFiles(dir, errors)) {
          String name = nameOf(file);
          String display = file.toString();
          if (sources.containsKey(name)) {
            errors.add(new ConfigError(display, "", "policy '" + name + "' is already defined by "
                + sources.get(name) + "; each policy has one file"));
            continue;
          }
          sources.put(name, display);
          Policy policy = parseFile(file, display, errors);
          if (policy != null) {
            policies.put(name, policy);
          }
        }
      }
    }
    if (!sources.containsKey("passthrough")) {
      policies.put("passthrough", Policy.passthrough());
    }
    return new PolicyLoadResult(policies, sources, errors);
  }

  /** One policy file; the built-in passthrough is not added. */
  public PolicyLoadResult loadFile(Path file) {
    List<ConfigError> errors = new ArrayList<>();
    String display = file.toString();
    Policy policy = parseFile(file, display, errors);
    Map<String, Policy> policies = policy == null ? Map.of() : Map.of(policy.name(), policy);
    return new PolicyLoadResult(policies, Map.of(nameOf(file), display), errors);
  }

  /** A policy from YAML text, as if read from {@code displayName}; null when it has errors. */
  public Policy parse(String name, String yamlText, String displayName, List<ConfigError> errors) {
    JsonNode tree = yaml.parse(yamlText, displayName, errors);
    return tree == null ? null : parseTree(name, tree, displayName, errors);
  }

  private Policy parseFile(Path file, String display, List<ConfigError> errors) {
    String name = nameOf(file);
    if (!POLICY_NAME.matcher(name).matches()) {
      errors.add(new ConfigError(display, "", "'" + name + "' is not a valid policy name;"
          + " allowed: letters, digits, '.', '_' and '-', starting with a letter or digit"));
      return null;
    }
    JsonNode tree = yaml.read(file, display, errors);
    return tree == null ? null : parseTree(name, tree, display, errors);
  }

  private Policy parseTree(String name, JsonNode tree, String display, List<ConfigError> errors) {
    int before = errors.size();
    ConfigNode root = ConfigNode.root(tree, display, errors, env);
    String description = root.string("description", "");
    ReasoningPolicy reasoning = reasoning(root.object("reasoning"));
    Policy.ClientDialect dialect = root.enumValue(
        "client_dialect", Policy.ClientDialect.class, Policy.ClientDialect.REASONING_CONTENT);
    ConfigNode screeningNode = root.object("screening");
    ScreeningPolicy screening = screening(screeningNode);
    AuditPolicy audit = audit(root.object("audit"));
    List<String> shadowPolicies = root.stringList("shadow_policies", List.of());
    int shadowConcurrency = root.integer("shadow_concurrency", Policy.DEFAULT_SHADOW_CONCURRENCY,
        1, 100_000);
    Policy.StateFailure onStateError =
        root.enumValue("on_state_error", Policy.StateFailure.class, null);
    root.finish();
    if (shadowPolicies.contains(name)) {
      errors.add(new ConfigError(display, "shadow_policies",
          "names the policy itself ('" + name + "'); a policy cannot trial itself"));
    }
    if (new java.util.HashSet<>(shadowPolicies).size() != shadowPolicies.size()) {
      errors.add(new ConfigError(display, "shadow_policies", "names a policy twice"));
    }
    if (screening.input().enabled() && screening.input().action() == InputAction.CONDITIONAL
        && reasoning.onUnsafeInput() == null) {
      errors.add(new ConfigError(display, "reasoning.on_unsafe_input",
          "is missing; required when screening.input.action is conditional: one of "
              + String.join(", ", WireNames.all(ReasoningMode.class))));
    }
    return errors.size() == before
        ? new Policy(name, description, reasoning, dialect, screening, audit, shadowPolicies,
            shadowConcurrency, onStateError) : null;
  }

  private static ReasoningPolicy reasoning(ConfigNode n) {
    if (n == null) {
      return ReasoningPolicy.DEFAULT;
    }
    ReasoningMode mode = n.enumValue("mode", ReasoningMode.class, ReasoningMode.PASSTHROUGH);
    List<ReasoningMode> allowOverride = n.enumList("allow_override", ReasoningMode.class, List.of());
    ReasoningMode onUnsafeInput = n.enumValue("on_unsafe_input", ReasoningMode.class, null);
    boolean showPrefill = n.bool("show_prefill", false);
    ReasoningPolicy.MoreThink moreThink = moreThink(n.object("morethink"));
    ReasoningPolicy.Budget budget = budget(n.object("budget"));
    ReasoningPolicy.SafetyTemplate template = safetyTemplate(n.object("safety_template"));
    n.finish();
    return new ReasoningPolicy(
        mode, allowOverride, onUnsafeInput, showPrefill, moreThink, budget, template);
  }

  private static ReasoningPolicy.MoreThink moreThink(ConfigNode n) {
    ReasoningPolicy.MoreThink d = ReasoningPolicy.MoreThink.DEFAULT;
    if (n == null) {
      return d;
    }
    int thinkBudget = n.integer("think_budget", d.thinkBudget(), 1, Integer.MAX_VALUE);
    int maxRounds = n.integer("max_rounds", d.maxRounds(), 0, 1000);
    int totalMaxTokens = n.integer("total_max_tokens", d.totalMaxTokens(), 1, Integer.MAX_VALUE);
    List<String> continuations = n.stringList("continuations", d.continuations());
    Long seed = n.has("seed") ? n.longInteger("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
    if (n.has("continuations") && continuations.isEmpty()) {
      n.error("continuations", "[] is empty; allowed: a non-empty list such as [Wait]");
    }
    if (totalMaxTokens <= thinkBudget) {
      n.error("total_max_tokens", totalMaxTokens + " leaves no tokens for the answer; allowed:"
          + " an integer > think_budget (" + thinkBudget + ")");
    }
    n.finish();
    return new ReasoningPolicy.MoreThink(thinkBudget, maxRounds, totalMaxTokens, continuations, seed);
  }

  private static ReasoningPolicy.Budget budget(ConfigNode n) {
    if (n == null) {
      return ReasoningPolicy.Budget.DEFAULT;
    }
    int thinkTokens = n.integer(
        "think_tokens", ReasoningPolicy.Budget.DEFAULT.thinkTokens(), 1, Integer.MAX_VALUE);
    String closing = n.string("closing", ReasoningPolicy.Budget.DEFAULT_CLOSING);
    if (!closing.contains("</think>")) {
      n.error("closing", ConfigNode.quote(closing)
          + " does not close the thought; allowed: text containing </think>");
    }
    n.finish();
    return new ReasoningPolicy.Budget(thinkTokens, closing);
  }

  private static ReasoningPolicy.SafetyTemplate safetyTemplate(ConfigNode n) {
    if (n == null) {
      return ReasoningPolicy.SafetyTemplate.DEFAULT;
    }
    List<String> categories = n.stringList(
        "categories", ReasoningPolicy.SafetyTemplate.DEFAULT_CATEGORIES);
    if (n.has("categories") && categories.isEmpty()) {
      n.error("categories", "[] is empty; allowed: a non-empty list of category names");
    }
    n.finish();
    return new ReasoningPolicy.SafetyTemplate(categories);
  }

  private static ScreeningPolicy screening(ConfigNode n) {
    ScreeningPolicy d = ScreeningPolicy.DISABLED;
    if (n == null) {
      return d;
    }
    String guard = n.string("guard", d.guard());
    InputScreen input = inputScreen(n.object("input"));
    SpanScreen thinking = spanScreen(n.object("thinking"), false);
    SpanScreen answer = spanScreen(n.object("answer"), true);
    int checkpointTokens = n.integer("checkpoint_tokens", d.checkpointTokens(), 1, 1_000_000);
    int windowTokens = n.integer("window_tokens", d.windowTokens(), 1, 1_000_000);
    GuardFailure onGuardError =
        n.enumValue("on_guard_error", GuardFailure.class, GuardFailure.FAIL_OPEN);
    List<String> categories = n.stringList("categories", List.of());
    String refusal = n.string("refusal", ScreeningPolicy.DEFAULT_REFUSAL);
    if (refusal.isBlank()) {
      n.error("refusal", "'' is empty; allowed: the non-empty text sent when a response is blocked");
    }
    long keepaliveMs = n.longInteger("keepalive_ms", d.keepaliveMs(), 0, 3_600_000);
    ScreeningPolicy.ControversialAs controversialAs = n.enumValue(
        "controversial_as", ScreeningPolicy.ControversialAs.class,
        ScreeningPolicy.ControversialAs.UNSAFE);
    if (windowTokens < checkpointTokens) {
      n.error("window_tokens", windowTokens + " is smaller than checkpoint_tokens ("
          + checkpointTokens + "), so text between checkpoints would go unscreened; allowed:"
          + " an integer ≥ checkpoint_tokens");
    }
    n.finish();
    return new ScreeningPolicy(guard, input, thinking, answer, checkpointTokens, windowTokens,
        onGuardError, categories, refusal, keepaliveMs, controversialAs);
  }

  /** Writing an {@code input:} block turns the input screen on unless it says enabled: false. */
  private static InputScreen inputScreen(ConfigNode n) {
    if (n == null) {
      return InputScreen.DISABLED;
    }
    boolean enabled = n.bool("enabled", true);
    InputAction action = n.enumValue("action", InputAction.class, InputAction.REFUSE);
    n.finish();
    return new InputScreen(enabled, action);
  }

  private static SpanScreen spanScreen(ConfigNode n, boolean isAnswer) {
    if (n == null) {
      return SpanScreen.DISABLED;
    }
    boolean enabled = n.bool("enabled", true);
    Release release = n.enumValue("release", Release.class, Release.HOLD);
    SpanAction action = n.enumValue("action", SpanAction.class, SpanAction.BLOCK);
    if (isAnswer && action == SpanAction.HIDE_REASONING) {
      n.error("action", "'hide_reasoning' applies to the thinking span only; allowed for the"
          + " answer: block, redact, restart_zerothink, log_only");
    }
    n.finish();
    return new SpanScreen(enabled, release, action);
  }

  private static AuditPolicy audit(ConfigNode n) {
    if (n == null) {
      return AuditPolicy.DEFAULT;
    }
    double sampleRate = n.number("sample_rate", 0.0, 0.0, 1.0);
    boolean redactPrompt = n.bool("redact_prompt", false);
    AuditPolicy.SafeAtK safeAtK = safeAtK(n.object("safe_at_k"));
    n.finish();
    return new AuditPolicy(sampleRate, redactPrompt, safeAtK);
  }

  private static AuditPolicy.SafeAtK safeAtK(ConfigNode n) {
    AuditPolicy.SafeAtK d = AuditPolicy.SafeAtK.DISABLED;
    if (n == null) {
      return d;
    }
    int k = n.integer("k", d.k(), 1, 100);
    double sampleRate = n.number("sample_rate", d.sampleRate(), 0.0, 1.0);
    double temperature = n.number("temperature", d.temperature(), 0.0, 2.0);
    double topP = n.number("top_p", d.topP(), 0.0, 1.0);
    int maxConcurrency = n.integer("max_concurrency", d.maxConcurrency(), 1, 1024);
    n.finish();
    return new AuditPolicy.SafeAtK(k, sampleRate, temperature, topP, maxConcurrency);
  }

  private static List<Path> yamlFiles(Path dir, List<ConfigError> errors) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> Files.isRegularFile(p))
          .filter(p -> p.getFileName().toString().endsWith(".yaml")
              || p.getFileName().toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      errors.add(new ConfigError(dir.toString(), "", "cannot list the directory: " + e));
      return List.of();
    }
  }

  private static String nameOf(Path file) {
    String fileName = file.getFileName().toString();
    int dot = fileName.lastIndexOf('.');
    return dot > 0 ? fileName.substring(0, dot) : fileName;
  }
}
