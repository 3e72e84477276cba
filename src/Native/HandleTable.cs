namespace EdgePruning.Native;

/// <summary>
/// The objects a C caller holds, by opaque handle. Handles are never reused, so a stale or double-freed handle
/// is reported as such instead of reaching another object.
/// </summary>
internal static class HandleTable
{
    private static readonly Dictionary<nint, object> Objects = [];
    private static long _next = 0x1000;

    public static nint Add(object value)
    {
        lock (Objects)
        {
            _next += 8;
            Objects.Add((nint)_next, value);
            return (nint)_next;
        }
    }

    public static T Get<T>(nint handle, string what) where T : class
    {
        lock (Objects)
        {
            if (Objects.TryGetValue(handle, out var value) && value is T t) return t;
        }
        throw new BadHandleException($"{what} handle 0x{handle:x} is not open (closed already, or never returned by this library)");
    }

    public static bool Remove<T>(nint handle) where T : class
    {
        lock (Objects)
        {
            return Objects.TryGetValue(handle, out var value) && value is T && Objects.Remove(handle);
        }
    }

    public static int Count
    {
        get { lock (Objects) return Objects.Count; }
    }
}

internal sealed class BadHandleException(string message) : Exception(message);
