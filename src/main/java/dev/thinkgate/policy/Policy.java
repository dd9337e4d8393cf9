package dev.thinkgate.policy;

import java.util.List;
import java.util.Objects;

/**
 * One tenant safety policy, loaded from {@code policies/<name>.yaml}; the name is the file name.
 * Every field has a default so an empty file is the passthrough policy.
 */
public record Policy(
    String name,
    String description,
    ReasoningPolicy reasoning,
    ClientDialect clientDialect,
    ScreeningPolicy screening,
    AuditPolicy audit,
    List<String> shadowPolicies,
    int shadowConcurrency,
    StateFailure onStateError) {

  /**
   * What admission does for this policy's tenants when the shared state (Redis) fails: null =
   * the gateway's {@code state.on_state_error}; a tenant's own setting wins over this.
   */
  public enum StateFailure { FAIL_OPEN, FAIL_CLOSED }

  /** A policy that inherits the gateway's {@code on_state_error}. */
  public Policy(String name, String description, ReasoningPolicy reasoning,
      ClientDialect clientDialect, ScreeningPolicy screening, AuditPolicy audit,
      List<String> shadowPolicies, int shadowConcurrency) {
    this(name, description, reasoning, clientDialect, screening, audit, shadowPolicies,
        shadowConcurrency, null);
  }

  /** Trials per shadow policy in flight at once when the policy file does not say. */
  public static final int DEFAULT_SHADOW_CONCURRENCY = 64;

  /** A policy that trials nothing. */
  public Policy(String name, String description, ReasoningPolicy reasoning,
      ClientDialect clientDialect, ScreeningPolicy screening, AuditPolicy audit) {
    this(name, description, reasoning, clientDialect, screening, audit, List.of(),
        DEFAULT_SHADOW_CONCURRENCY);
  }

  public Policy {
    shadowPolicies = shadowPolicies == null ? List.of() : List.copyOf(shadowPolicies);
    shadowConcurrency = shadowConcurrency <= 0 ? DEFAULT_SHADOW_CONCURRENCY : shadowConcurrency;
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    reasoning = reasoning == null ? ReasoningPolicy.DEFAULT : reasoning;
    clientDialect = clientDialect == null ? ClientDialect.REASONING_CONTENT : clientDialect;
    screening = screening == null ? ScreeningPolicy.DISABLED : screening;
    audit = audit == null ? AuditPolicy.DEFAULT : audit;
  }

  /** The built-in default: nothing rewritten, nothing screened, nothing sampled. */
  public static Policy passthrough() {
    return new Policy("passthrough", "nothing rewritten, nothing screened", null, null, null, null);
  }

  /** How the client receives the thinking span (DESIGN §4). */
  public enum ClientDialect {
    REASONING_CONTENT("reasoning_content"),
    REASONING("reasoning"),
    BOTH("both"),
    THINK_TAGS("think_tags"),
    HIDDEN("hidden");

    private final String wire;

    ClientDialect(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  public static List<String> allowedValues(Class<? extends Enum<?>> type) {
    return java.util.Arrays.stream(type.getEnumConstants()).map(Policy::wireName).toList();
  }

  /** The YAML spelling of an enum constant: lower case, as written in policy files. */
  public static String wireName(Enum<?> e) {
    if (e instanceof ClientDialect d) {
      return d.wire();
    }
    return e.name().toLowerCase(java.util.Locale.ROOT);
  }
}
