namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Jumps ahead in the lagged recurrence x[t+55] = x[t] − x[t+21] (mod M = 2³¹−1) of the subtractive generator
/// behind <see cref="System.Random"/>(seed): x[n] is the same linear combination of x[0..54] as Xⁿ reduced
/// modulo f(X) = X⁵⁵ + X²¹ − 1 is of 1, X, …, X⁵⁴ (M is prime, so the coefficients live in a field). A jump of
/// n costs a few 55×55 polynomial products, whatever n is, so a stream can start anywhere without drawing
/// the numbers before it.
/// </summary>
internal static class SubtractiveJump
{
    public const int Order = 55;
    public const int Tap = 21;
    public const uint Modulus = int.MaxValue;

    /// <summary>X^(2^k) mod f for k = 0, 1, …: the squares that any power is a product of.</summary>
    private static readonly uint[][] PowersOfTwo = BuildPowersOfTwo(48);

    /// <summary>Xⁿ mod f as coefficients of 1, X, …, X⁵⁴.</summary>
    public static uint[] Power(long n)
    {
        if (n < 0 || n >= 1L << PowersOfTwo.Length) throw new ArgumentOutOfRangeException(nameof(n), n, "jump out of range");
        var result = new uint[Order];
        result[0] = 1;
        for (int k = 0; n != 0; k++, n >>= 1)
            if ((n & 1) != 0) result = Multiply(result, PowersOfTwo[k]);
        return result;
    }

    /// <summary>a·b mod f.</summary>
    public static uint[] Multiply(uint[] a, uint[] b)
    {
        Span<ulong> product = stackalloc ulong[2 * Order - 1];
        for (int i = 0; i < Order; i++)
        {
            ulong ai = a[i];
            if (ai == 0) continue;
            for (int j = 0; j < Order; j++) product[i + j] += MulMod(ai, b[j]);
        }
        // Each sum holds at most 55 terms below 2³¹: no overflow before this reduction.
        for (int d = 0; d < product.Length; d++) product[d] %= Modulus;
        // X^d ≡ X^(d−55) − X^(d−34), from the top down.
        for (int d = product.Length - 1; d >= Order; d--)
        {
            ulong c = product[d];
            product[d - Order] = AddMod(product[d - Order], c);
            product[d - Order + Tap] = AddMod(product[d - Order + Tap], Modulus - c);
        }
        var result = new uint[Order];
        for (int i = 0; i < Order; i++) result[i] = (uint)product[i];
        return result;
    }

    /// <summary>q·X mod f, in place.</summary>
    public static void TimesX(Span<uint> q)
    {
        uint top = q[Order - 1];
        for (int i = Order - 1; i > 0; i--) q[i] = q[i - 1];
        q[0] = top;
        q[Tap] = (uint)AddMod(q[Tap], Modulus - top);
    }

    /// <summary>Σ q[i]·x[i] mod M, x holding 55 numbers of the stream below M.</summary>
    public static int Combine(ReadOnlySpan<uint> q, ReadOnlySpan<int> x)
    {
        ulong sum = 0;
        for (int i = 0; i < Order; i++) sum += MulMod(q[i], (uint)x[i]);
        return (int)(sum % Modulus);
    }

    private static ulong MulMod(ulong a, ulong b)
    {
        ulong p = a * b;
        p = (p & Modulus) + (p >> 31);
        p = (p & Modulus) + (p >> 31);
        return p >= Modulus ? p - Modulus : p;
    }

    private static ulong AddMod(ulong a, ulong b)
    {
        ulong s = a + b;
        return s >= Modulus ? s - Modulus : s;
    }

    private static uint[][] BuildPowersOfTwo(int count)
    {
        var powers = new uint[count][];
        powers[0] = new uint[Order];
        powers[0][1] = 1;
        for (int k = 1; k < count; k++) powers[k] = Multiply(powers[k - 1], powers[k - 1]);
        return powers;
    }
}
