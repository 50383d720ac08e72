using System.Text.RegularExpressions;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>A selector the fake could not parse or does not support: the API server answers 400 BadRequest.</summary>
public sealed class SelectorException(string message) : Exception(message);

/// <summary>
/// Label selectors (<c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k</c>, <c>!k</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>) and the
/// pod field selectors the API server supports (<c>metadata.name</c>, <c>metadata.namespace</c>, <c>spec.nodeName</c>,
/// <c>status.phase</c>); anything else is refused the way the API server refuses it.
/// </summary>
public static partial class Selectors
{
    public static Func<V1Pod, bool> Labels(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
            return _ => true;
        var rules = new List<Func<IDictionary<string, string>, bool>>();
        foreach (var raw in SplitTopLevel(selector))
        {
            var term = raw.Trim();
            Match m;
            if ((m = SetTerm().Match(term)).Success)
            {
                var key = Key(m.Groups["key"].Value);
                var values = m.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var negate = m.Groups["op"].Value == "notin";
                rules.Add(l => negate != (l.TryGetValue(key, out var v) && values.Contains(v)));
            }
            else if ((m = EqualityTerm().Match(term)).Success)
            {
                var key = Key(m.Groups["key"].Value);
                var value = m.Groups["value"].Value;
                if (!LabelRules.IsValue(value))
                    throw new SelectorException($"unable to parse requirement: values[0][{key}]: Invalid value: \"{value}\"");
                var negate = m.Groups["op"].Value == "!=";
                rules.Add(l => negate != (l.TryGetValue(key, out var v) && v == value));
            }
            else if (term.StartsWith('!'))
            {
                var key = Key(term[1..].Trim());
                rules.Add(l => !l.ContainsKey(key));
            }
            else
            {
                var key = Key(term);
                rules.Add(l => l.ContainsKey(key));
            }
        }
        return pod =>
        {
            var labels = pod.Labels() ?? new Dictionary<string, string>();
            return rules.All(r => r(labels));
        };
    }

    public static Func<V1Pod, bool> Fields(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
            return _ => true;
        var rules = new List<Func<V1Pod, bool>>();
        foreach (var raw in selector.Split(','))
        {
            var m = FieldTerm().Match(raw.Trim());
            if (!m.Success)
                throw new SelectorException($"invalid selector: '{selector}'; can't understand '{raw}'");
            var field = m.Groups["field"].Value;
            var value = m.Groups["value"].Value;
            var negate = m.Groups["op"].Value == "!=";
            Func<V1Pod, string?> read = field switch
            {
                "metadata.name" => p => p.Name(),
                "metadata.namespace" => p => p.Namespace(),
                "spec.nodeName" => p => p.Spec?.NodeName ?? "",
                "status.phase" => p => p.Status?.Phase ?? "",
                "spec.restartPolicy" => p => p.Spec?.RestartPolicy ?? "",
                _ => throw new SelectorException($"field label not supported: {field}"),
            };
            rules.Add(p => negate != (read(p) == value));
        }
        return pod => rules.All(r => r(pod));
    }

    private static string Key(string key) =>
        LabelRules.IsKey(key) ? key : throw new SelectorException($"unable to parse requirement: key: Invalid value: \"{key}\"");

    /// <summary>Splits on commas outside parentheses.</summary>
    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(') depth++;
            else if (selector[i] == ')') depth--;
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }
        yield return selector[start..];
    }

    [GeneratedRegex(@"^(?<key>[^\s=!()]+)\s+(?<op>in|notin)\s+\((?<values>[^)]*)\)$")]
    private static partial Regex SetTerm();

    [GeneratedRegex(@"^(?<key>[^\s=!]+)\s*(?<op>==|=|!=)\s*(?<value>[^\s,]*)$")]
    private static partial Regex EqualityTerm();

    [GeneratedRegex(@"^(?<field>[A-Za-z.]+)\s*(?<op>==|=|!=)\s*(?<value>[^\s,]*)$")]
    private static partial Regex FieldTerm();
}

/// <summary>The API server's syntax rules for label keys and values (and annotation keys).</summary>
public static partial class LabelRules
{
    public static bool IsKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0)
        {
            var prefix = key[..slash];
            if (prefix.Length is 0 or > 253 || !Subdomain().IsMatch(prefix))
                return false;
        }
        return name.Length is > 0 and <= 63 && Name().IsMatch(name);
    }

    public static bool IsValue(string value) => value.Length == 0 || (value.Length <= 63 && Name().IsMatch(value));

    /// <summary>What is wrong with the labels, in the API server's words, or null.</summary>
    public static string? Problem(IDictionary<string, string>? labels, string path)
    {
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            if (!IsKey(key))
                return $"{path}: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
            if (value is null || !IsValue(value))
                return $"{path}: Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63)";
        }
        return null;
    }

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex Name();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
