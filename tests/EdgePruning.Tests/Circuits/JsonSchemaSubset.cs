using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgePruning.Tests.Circuits;

/// <summary>
/// The part of JSON Schema (2020-12) that schemas/circuit.schema.json uses: type (one or a list), const, enum,
/// properties, required, additionalProperties (false or a schema), items, minimum, maximum, pattern and local
/// <c>$ref</c>s to <c>#/$defs/...</c>. A keyword outside this set is an error, so the schema cannot silently
/// say more than is checked. Returns every violation with its JSON path.
/// </summary>
public sealed class JsonSchemaSubset
{
    private static readonly HashSet<string> Known =
    [
        "$schema", "$id", "$defs", "$ref", "title", "description", "type", "const", "enum", "properties", "required",
        "additionalProperties", "items", "minimum", "maximum", "pattern",
    ];

    private readonly JsonElement _root;

    public JsonSchemaSubset(JsonElement schema) => _root = schema;

    public List<string> Validate(JsonElement instance)
    {
        var errors = new List<string>();
        Check(_root, instance, "$", errors);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        foreach (var keyword in schema.EnumerateObject())
            if (!Known.Contains(keyword.Name)) throw new NotSupportedException($"schema keyword '{keyword.Name}' at {at} is not supported");

        if (schema.TryGetProperty("$ref", out var reference))
        {
            string r = reference.GetString()!;
            if (!r.StartsWith("#/$defs/", StringComparison.Ordinal)) throw new NotSupportedException($"$ref '{r}' is not local");
            Check(_root.GetProperty("$defs").GetProperty(r["#/$defs/".Length..]), value, at, errors);
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
            if (!types.Any(t => IsType(value, t))) errors.Add($"{at}: expected {string.Join(" or ", types)}, found {value.ValueKind}");
        }
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
            errors.Add($"{at}: expected {constant.GetRawText()}");
        if (schema.TryGetProperty("enum", out var options) && !options.EnumerateArray().Any(o => JsonElement.DeepEquals(o, value)))
            errors.Add($"{at}: {value.GetRawText()} is not one of {options.GetRawText()}");

        if (value.ValueKind == JsonValueKind.Number)
        {
            double n = value.GetDouble();
            if (schema.TryGetProperty("minimum", out var min) && n < min.GetDouble()) errors.Add($"{at}: {n} is below {min.GetDouble()}");
            if (schema.TryGetProperty("maximum", out var max) && n > max.GetDouble()) errors.Add($"{at}: {n} is above {max.GetDouble()}");
        }
        if (value.ValueKind == JsonValueKind.String && schema.TryGetProperty("pattern", out var pattern)
            && !Regex.IsMatch(value.GetString()!, pattern.GetString()!))
            errors.Add($"{at}: '{value.GetString()}' does not match {pattern.GetString()}");

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray())
                    if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{at}: missing \"{name.GetString()}\"");
            schema.TryGetProperty("properties", out var properties);
            schema.TryGetProperty("additionalProperties", out var additional);
            foreach (var property in value.EnumerateObject())
            {
                string path = $"{at}.{property.Name}";
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var sub)) Check(sub, property.Value, path, errors);
                else if (additional.ValueKind == JsonValueKind.False) errors.Add($"{at}: property \"{property.Name}\" is not allowed");
                else if (additional.ValueKind == JsonValueKind.Object) Check(additional, property.Value, path, errors);
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray()) Check(items, item, $"{at}[{i++}]", errors);
        }
    }

    private static bool IsType(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new NotSupportedException($"type '{type}' is not supported"),
    };
}
