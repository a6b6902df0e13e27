import Link from 'next/link';

export default function Forbidden() {
  return (
    <div className="center">
      <div className="card">
        <h1>Not allowed</h1>
        <p>Your role does not give access to that page.</p>
        <Link href="/">Back to the overview</Link>
      </div>
    </div>
  );
}
