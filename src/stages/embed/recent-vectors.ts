/** A bounded most-recently-used map of chunk id (+ model) → vector. */
export class RecentVectors {
  private readonly map = new Map<string, Float32Array>();

  constructor(private readonly capacity: number) {}

  get(chunkId: string, model: string): Float32Array | undefined {
    const key = `${model}\u0000${chunkId}`;
    const value = this.map.get(key);
    if (value) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(chunkId: string, model: string, vector: Float32Array): void {
    const key = `${model}\u0000${chunkId}`;
    this.map.delete(key);
    this.map.set(key, vector);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
}
